/** Query and form options: parsed strictly, range-checked by the protocol's own validator. */
import { describe, expect, it } from 'vitest';
import { parseDetectParams } from '../src/detect-params.js';
import { isProblem } from '../src/errors-http.js';

function refused(result: ReturnType<typeof parseDetectParams>): string {
  if (!isProblem(result)) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  expect(result.status).toBe(400);
  expect(result.code).toBe('BAD_REQUEST');
  return result.message;
}

describe('parseDetectParams', () => {
  it('no parameters: the default model and no options', () => {
    expect(parseDetectParams({})).toEqual({ model: '', options: {} });
  });

  it('parses every option from strings', () => {
    expect(
      parseDetectParams({
        model: 'yolov8n_int8',
        conf: '0.4',
        iou: '.5',
        classes: '0,bus, 2',
        maxDetections: '10',
        timeoutMs: '5000',
      }),
    ).toEqual({
      model: 'yolov8n_int8',
      options: { conf: 0.4, iou: 0.5, classes: [0, 'bus', 2], maxDetections: 10, timeoutMs: 5000 },
    });
  });

  it('repeated classes parameters add up', () => {
    expect(parseDetectParams({ classes: ['person', '5'] })).toEqual({ model: '', options: { classes: ['person', 5] } });
  });

  it('merges query and form fields', () => {
    expect(parseDetectParams({ conf: '0.3' }, { model: 'm' })).toEqual({ model: 'm', options: { conf: 0.3 } });
  });

  it('refuses what it cannot read exactly', () => {
    expect(refused(parseDetectParams({ conf: 'high' }))).toMatch(/conf must be a number/);
    expect(refused(parseDetectParams({ conf: '0.5abc' }))).toMatch(/conf must be a number/);
    expect(refused(parseDetectParams({ conf: '' }))).toMatch(/conf must be a number/);
    expect(refused(parseDetectParams({ conf: '1.5' }))).toMatch(/conf must be a number between 0 and 1/);
    expect(refused(parseDetectParams({ iou: '-0.1' }))).toMatch(/iou/);
    expect(refused(parseDetectParams({ maxDetections: '2.5' }))).toMatch(/maxDetections must be an integer/);
    expect(refused(parseDetectParams({ maxDetections: '0' }))).toMatch(/maxDetections/);
    expect(refused(parseDetectParams({ timeoutMs: '99999999' }))).toMatch(/timeoutMs/);
    expect(refused(parseDetectParams({ classes: '0,,1' }))).toMatch(/classes/);
    expect(refused(parseDetectParams({ confidence: '0.5' }))).toMatch(/unknown parameter "confidence"/);
    expect(refused(parseDetectParams({ conf: ['0.1', '0.2'] }))).toMatch(/conf is given 2 times/);
    expect(refused(parseDetectParams({ conf: '0.1' }, { conf: '0.2' }))).toMatch(/conf is given more than once/);
    expect(refused(parseDetectParams({ model: 'x'.repeat(129) }))).toMatch(/model is over 128 bytes/);
  });
});
