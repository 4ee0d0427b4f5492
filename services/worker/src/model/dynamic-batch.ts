/**
 * Turns a static-batch (batch 1) YOLO ONNX model into one with a dynamic batch dimension, working on
 * the protobuf bytes (no ONNX library): graph input and output dim 0 become the symbolic dim "batch",
 * and every Reshape of an activation whose constant target shape starts with the batch 1 gets 0 there
 * instead (ONNX Reshape: 0 copies the input's dim, so the batch flows through). Reshapes of weights
 * (Ultralytics' int8 exports reshape each bias to [1, -1, 1, 1], which broadcasts) are left alone.
 * The graph's value_info (intermediate shapes with the batch 1 baked in) is dropped: onnxruntime
 * infers shapes again. Used by scripts/dynamic-batch-model.mjs and the batching tests and bench.
 * End-to-end models (YOLOv10: metadata end2end or a v10 head) are refused: their exported top-k
 * gathers boxes by index from the flattened batch, so every image past the first would get the first
 * image's boxes (seen on the shared yolov10n_int8).
 *
 * Protobuf layout used (onnx.proto): ModelProto.graph = 7; GraphProto node = 1, initializer = 5,
 * input = 11, output = 12, value_info = 13; NodeProto input = 1, output = 2, op_type = 4,
 * attribute = 5, domain = 7; AttributeProto name = 1, i = 3, t = 5; TensorProto dims = 1,
 * data_type = 2, int64_data = 7, name = 8, raw_data = 9; ValueInfoProto type = 2; TypeProto
 * tensor_type = 1; TypeProto.Tensor shape = 2; TensorShapeProto dim = 1; Dimension dim_value = 1,
 * dim_param = 2.
 */

import { readOnnxMetadata } from './onnx-metadata.js';
import { concat, encodeVarint, type Field, fields, lengthDelimited, readVarint } from './protobuf.js';

export interface DynamicBatchResult {
  bytes: Uint8Array;
  /** Reshape nodes whose target shape now copies the batch */
  reshapes: number;
}

const INT64 = 7;

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();
const text = (bytes: Uint8Array, f: Field) => decoder.decode(bytes.subarray(f.valueStart, f.end));

/** A message rebuilt from its fields, some replaced (new bytes of the whole field, or null to drop it). */
function rebuild(bytes: Uint8Array, list: readonly Field[], replace: Map<Field, Uint8Array | null>): Uint8Array {
  return concat(
    list.flatMap((f) => {
      const r = replace.get(f);
      if (r === null) return [];
      return [r ?? bytes.subarray(f.start, f.end)];
    }),
  );
}

/** A ValueInfoProto (graph input or output) with dim 0 of its tensor shape made symbolic. */
function withSymbolicBatch(bytes: Uint8Array, info: Field, name: string): Uint8Array {
  const descend = (f: Field, path: readonly number[]): Uint8Array => {
    const inner = fields(bytes, f.valueStart, f.end);
    const [next, ...rest] = path;
    const replace = new Map<Field, Uint8Array | null>();
    if (next === undefined) {
      // f is the TensorShapeProto: replace its first dim
      const first = inner.find((d) => d.field === 1);
      if (first === undefined) throw new Error(`${name} has no dims`);
      replace.set(first, lengthDelimited(1, lengthDelimited(2, encoder.encode('batch'))));
    } else {
      const child = inner.find((c) => c.field === next && c.wire === 2);
      if (child === undefined) throw new Error(`${name} has no tensor shape`);
      replace.set(child, descend(child, rest));
    }
    return lengthDelimited(f.field, rebuild(bytes, inner, replace));
  };
  // ValueInfoProto.type (2) -> TypeProto.tensor_type (1) -> shape (2) -> dims
  return descend(info, [2, 1, 2]);
}

interface ShapeConstant {
  /** where the first int64 of the shape is, and how it is stored */
  at: number;
  encoding: 'raw' | 'varint';
  first: number;
}

/** A TensorProto holding an int64 shape: where its first element is. */
function shapeConstant(bytes: Uint8Array, tensor: Field): ShapeConstant | undefined {
  const list = fields(bytes, tensor.valueStart, tensor.end);
  const type = list.find((f) => f.field === 2)?.value;
  if (type !== INT64) return undefined;
  const raw = list.find((f) => f.field === 9);
  if (raw !== undefined && raw.end - raw.valueStart >= 8) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + raw.valueStart, 8);
    return { at: raw.valueStart, encoding: 'raw', first: Number(view.getBigInt64(0, true)) };
  }
  const data = list.find((f) => f.field === 7);
  if (data === undefined) return undefined;
  const at = data.wire === 2 ? data.valueStart : data.start + encodeVarint(7 * 8).length;
  if (data.wire === 2 && data.end === data.valueStart) return undefined;
  return { at, encoding: 'varint', first: readVarint(bytes, at, data.end).value };
}

interface NodeInfo {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** AttributeProto fields by name */
  attributes: Map<string, Field>;
}

function readNode(bytes: Uint8Array, node: Field): NodeInfo {
  const info: NodeInfo = { opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of fields(bytes, node.valueStart, node.end)) {
    if (f.field === 1) info.inputs.push(text(bytes, f));
    else if (f.field === 2) info.outputs.push(text(bytes, f));
    else if (f.field === 4) info.opType = text(bytes, f);
    else if (f.field === 7) info.domain = text(bytes, f);
    else if (f.field === 5) {
      const name = fields(bytes, f.valueStart, f.end).find((a) => a.field === 1);
      if (name !== undefined) info.attributes.set(text(bytes, name), f);
    }
  }
  return info;
}

/** Converts the model; throws with a reason when it cannot (not ONNX, an end-to-end head, shared shapes). */
export function makeBatchDynamic(model: Uint8Array): DynamicBatchResult {
  const meta = readOnnxMetadata(model);
  if (!meta.ok) throw new Error(meta.message);
  if (/^true$/i.test(meta.metadata.end2end ?? '') || /v10/i.test(meta.metadata.head ?? '')) {
    throw new Error('an end-to-end (YOLOv10) head picks its boxes by index across the batch: it cannot run batched');
  }
  // the shape constants are patched in place (same length); only the graph's messages are rebuilt
  const bytes = Uint8Array.from(model);
  const top = fields(bytes, 0, bytes.length);
  const graph = top.find((f) => f.field === 7 && f.wire === 2);
  if (graph === undefined) throw new Error('not an ONNX model: no graph');
  const members = fields(bytes, graph.valueStart, graph.end);

  // tensors known without the image: initializers and the outputs of Constant nodes
  const constants = new Map<string, Field>();
  const initializerNames = new Set<string>();
  for (const f of members.filter((m) => m.field === 5)) {
    const name = fields(bytes, f.valueStart, f.end).find((t) => t.field === 8);
    if (name !== undefined) {
      constants.set(text(bytes, name), f);
      initializerNames.add(text(bytes, name));
    }
  }
  const nodes = members.filter((m) => m.field === 1).map((f) => readNode(bytes, f));
  for (const node of nodes) {
    const value = node.attributes.get('value');
    if (node.opType !== 'Constant' || value === undefined || node.outputs[0] === undefined) continue;
    const tensor = fields(bytes, value.valueStart, value.end).find((a) => a.field === 5);
    if (tensor !== undefined) constants.set(node.outputs[0], tensor);
  }
  // tensors that depend on the image (nodes are in topological order, as ONNX requires)
  const dynamic = new Set<string>();
  for (const f of members.filter((m) => m.field === 11)) {
    const name = fields(bytes, f.valueStart, f.end).find((n) => n.field === 1);
    if (name !== undefined && !initializerNames.has(text(bytes, name))) dynamic.add(text(bytes, name));
  }
  if (dynamic.size !== 1) throw new Error(`the graph has ${dynamic.size} image inputs, expected one`);
  for (const node of nodes) {
    if (node.inputs.some((i) => dynamic.has(i))) for (const o of node.outputs) dynamic.add(o);
  }

  // Reshape targets to rewrite; a shape tensor also used where the batch must stay 1 is refused
  const rewrite = new Set<string>();
  const keep = new Set<string>();
  for (const node of nodes) {
    if (node.opType !== 'Reshape' || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    const [data, shape] = node.inputs;
    if (data === undefined || shape === undefined) continue;
    const tensor = constants.get(shape);
    if (!dynamic.has(data)) {
      keep.add(shape);
      continue;
    }
    if (tensor === undefined) continue; // a computed shape follows the input already
    const allowZero = node.attributes.get('allowzero');
    if (
      allowZero !== undefined &&
      fields(bytes, allowZero.valueStart, allowZero.end).some((a) => a.field === 3 && a.value !== 0)
    ) {
      throw new Error(`Reshape to ${shape} has allowzero=1: its 0 would not copy the batch`);
    }
    const constant = shapeConstant(bytes, tensor);
    if (constant?.first === 1) rewrite.add(shape);
  }
  for (const shape of rewrite) {
    if (keep.has(shape)) throw new Error(`the shape ${shape} reshapes both weights and activations`);
    const constant = shapeConstant(bytes, constants.get(shape)!)!;
    if (constant.encoding === 'raw') new DataView(bytes.buffer, constant.at, 8).setBigInt64(0, 0n, true);
    else bytes[constant.at] = 0; // varint 1 -> varint 0: one byte either way
  }
  let reshapes = 0;
  for (const node of nodes) if (node.opType === 'Reshape' && rewrite.has(node.inputs[1] ?? '')) reshapes++;

  const replace = new Map<Field, Uint8Array | null>();
  for (const f of members) {
    if (f.field === 13) replace.set(f, null);
    else if (f.field === 12 || (f.field === 11 && !initializerNames.has(valueName(bytes, f)))) {
      replace.set(f, withSymbolicBatch(bytes, f, valueName(bytes, f)));
    }
  }
  const newGraph = lengthDelimited(7, rebuild(bytes, members, replace));
  return { bytes: rebuild(bytes, top, new Map([[graph, newGraph]])), reshapes };
}

function valueName(bytes: Uint8Array, info: Field): string {
  const name = fields(bytes, info.valueStart, info.end).find((n) => n.field === 1);
  return name === undefined ? '' : text(bytes, name);
}
