/**
 * Creates an onnxruntime InferenceSession with the configured execution provider and thread count.
 * The session's intra-op pool is `intraOpThreads`; inter-op is 1 (YOLO graphs are a chain).
 */
import ort from 'onnxruntime-node';

export type ExecutionProvider = 'cpu' | 'cuda';

export interface SessionOptions {
  executionProvider: ExecutionProvider;
  intraOpThreads: number;
}

export async function createSession(model: Uint8Array, options: SessionOptions): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [options.executionProvider],
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  try {
    return await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    const message = (error as Error).message;
    if (options.executionProvider === 'cuda') {
      throw new Error(
        `YOLOMQ_EP=cuda: the CUDA execution provider could not be used (${message}); it needs an NVIDIA GPU, ` +
          'CUDA 12 and cuDNN 9 libraries, and an onnxruntime-node install with CUDA support; use YOLOMQ_EP=cpu otherwise',
      );
    }
    throw new Error(`cannot load the model: ${message}`);
  }
}
