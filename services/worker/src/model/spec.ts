/**
 * What the worker needs to know about a model, read from the model itself: input name, dtype and
 * size, output name and layout, class names. Pure over the session's declared inputs/outputs, the
 * ONNX metadata and the output shape of a warm-up run (a dynamic-shape export declares symbolic
 * output dims; the warm-up run gives the real ones).
 */
import { detectLayout, type OutputLayout } from '../yolo/layout.js';
import { chooseClassNames, type NamesSource, parseNamesLiteral } from './names.js';

export type InputType = 'float32' | 'float16';

export interface ModelInput {
  name: string;
  type: InputType;
  width: number;
  height: number;
  /** dim 0 is symbolic (a dynamic-batch export): session.run takes [n, 3, H, W] */
  dynamicBatch: boolean;
}

export interface ModelSpec {
  input: ModelInput;
  outputName: string;
  layout: OutputLayout;
  classNames: string[];
  namesSource: NamesSource;
}

/** The shape of onnxruntime's value metadata that this module reads. */
export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

export type SpecResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses metadata `imgsz`: '[640, 640]' (h, w), '640', or '[640]'. */
export function parseImgsz(text: string | undefined): { width: number; height: number } | undefined {
  if (text === undefined) return undefined;
  const numbers = text.match(/\d+/g)?.map(Number) ?? [];
  if (numbers.length === 1) return { width: numbers[0]!, height: numbers[0]! };
  if (numbers.length === 2) return { height: numbers[0]!, width: numbers[1]! };
  return undefined;
}

export function describeInput(inputs: readonly ValueInfo[], metadata: Record<string, string>): SpecResult<ModelInput> {
  if (inputs.length !== 1) return { ok: false, message: `the model has ${inputs.length} inputs, expected one image` };
  const info = inputs[0]!;
  if (!info.isTensor || (info.type !== 'float32' && info.type !== 'float16')) {
    return { ok: false, message: `input ${info.name} is ${info.type ?? 'not a tensor'}; float32 or float16 expected` };
  }
  const shape = info.shape ?? [];
  if (shape.length !== 4) {
    return { ok: false, message: `input ${info.name} has shape [${shape.join(', ')}]; [1, 3, H, W] expected` };
  }
  const [batch, channels, h, w] = shape;
  if ((typeof batch === 'number' && batch > 1) || (typeof channels === 'number' && channels !== 3)) {
    return { ok: false, message: `input ${info.name} has shape [${shape.join(', ')}]; [1, 3, H, W] expected` };
  }
  // a symbolic dim comes as its name (or -1 when it has none)
  const dynamicBatch = batch !== 1;
  let size: { width: number; height: number } | undefined;
  if (typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0) size = { width: w, height: h };
  else size = parseImgsz(metadata.imgsz);
  if (size === undefined || size.width < 1 || size.height < 1) {
    return {
      ok: false,
      message: `input ${info.name} has a dynamic size [${shape.join(', ')}] and the metadata gives no imgsz`,
    };
  }
  return { ok: true, value: { name: info.name, type: info.type, ...size, dynamicBatch } };
}

function boolMeta(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^true$/i.test(value.trim())) return true;
  if (/^false$/i.test(value.trim())) return false;
  return undefined;
}

/** Completes the spec once a warm-up run has given the output's real shape. */
export function describeModel(
  input: ModelInput,
  outputs: readonly ValueInfo[],
  outputShape: readonly number[],
  metadata: Record<string, string>,
  namesFromFile: string[] | undefined,
): SpecResult<ModelSpec> {
  let metaNames: string[] | undefined;
  if (metadata.names !== undefined) {
    const parsed = parseNamesLiteral(metadata.names);
    if (!parsed.ok) return { ok: false, message: `metadata names: ${parsed.message}` };
    metaNames = parsed.names;
  }
  const detected = detectLayout(outputShape, {
    end2end: boolMeta(metadata.end2end),
    task: metadata.task,
    head: metadata.head,
    classCount: metaNames?.length,
    inputWidth: input.width,
    inputHeight: input.height,
    outputCount: outputs.length,
  });
  if (!detected.ok) return { ok: false, message: detected.message };
  const layout = detected.layout;
  const classCount = layout.kind === 'end2end' ? (layout.classes ?? namesFromFile?.length) : layout.classes;
  const { names, source } = chooseClassNames(classCount, metaNames, namesFromFile);
  return {
    ok: true,
    value: { input, outputName: outputs[0]!.name, layout, classNames: names, namesSource: source },
  };
}
