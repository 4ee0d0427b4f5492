/**
 * The models on offer: those that live workers serve now, from the broker's /status. Pure.
 */
import type { BrokerStatus } from './broker-status.js';

export interface ModelEntry {
  /** the name to pass as `model` */
  name: string;
  /** live workers serving it */
  workers: number;
  /** whether requests that name no model go to it */
  default: boolean;
}

export interface ModelsResponse {
  models: ModelEntry[];
  /** the broker's default model, when it has one yet */
  defaultModel: string | null;
}

export function modelsFromStatus(status: BrokerStatus): ModelsResponse {
  const counts = new Map<string, number>();
  for (const worker of Array.isArray(status.workers) ? status.workers : []) {
    if (typeof worker?.model === 'string') counts.set(worker.model, (counts.get(worker.model) ?? 0) + 1);
  }
  const defaultModel =
    typeof status.defaultModel === 'string' && status.defaultModel !== '' ? status.defaultModel : null;
  const models = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, workers]) => ({ name, workers, default: name === defaultModel }));
  return { models, defaultModel };
}
