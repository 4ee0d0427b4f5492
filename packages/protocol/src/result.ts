/** The JSON shape of a detection result (the REPLY payload). See SPEC.md, "Result". */

export interface Box {
  /** left, top, right, bottom in original-image pixels, clipped to the image */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection {
  classId: number;
  className: string;
  score: number;
  box: Box;
}

export interface StageTimings {
  /** time waiting: in the broker's queue plus in the worker before a thread took it */
  queueMs: number;
  /** image decode, letterbox and tensor preparation */
  preprocessMs: number;
  /** session.run */
  inferenceMs: number;
  /** decoding the output tensor, thresholding, NMS, box mapping */
  postprocessMs: number;
  /** from the broker accepting the request to the worker finishing it */
  totalMs: number;
}

export interface DetectionResult {
  model: string;
  workerId: string;
  /** original image size in pixels (after EXIF orientation) */
  width: number;
  height: number;
  detections: Detection[];
  timings: StageTimings;
}
