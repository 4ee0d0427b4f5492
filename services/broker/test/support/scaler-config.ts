/** Parses the broker configuration from an environment and returns its scaler part (throws the message when invalid). */
import type { ScalerConfig } from '../../src/autoscale/config.js';
import { parseBrokerConfig } from '../../src/config.js';

export function parseBrokerConfigForScaler(env: Record<string, string>): ScalerConfig {
  const parsed = parseBrokerConfig(env);
  if (!parsed.ok) throw new Error(parsed.message);
  const scaler = (parsed.config as { scaler?: ScalerConfig }).scaler;
  if (scaler === undefined) throw new Error('the broker configuration has no scaler section');
  return scaler;
}
