/**
 * What the Models section charts, read from a model server's Prometheus text.
 */
export interface IMetricsSample {
  /**
   * When the page was read (ms since the epoch).
   */
  time: number;
  requests: number;
  errors: number;
  /**
   * Latency histogram: `[upper bound in seconds, cumulative count]`.
   */
  buckets: [number, number][];
  latencyCount: number;
  /**
   * Predictions per class name (models with a classes file).
   */
  classes: { [name: string]: number };
}

/**
 * Parse the Prometheus text exposition format of the Dotscience model server.
 *
 * @param text the `/metrics` page
 * @param time when it was read
 * @returns the totals
 */
export function parseMetrics(
  text: string,
  time: number = Date.now()
): IMetricsSample {
  const sample: IMetricsSample = {
    time,
    requests: 0,
    errors: 0,
    buckets: [],
    latencyCount: 0,
    classes: {}
  };
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) {
      continue;
    }
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) {
      continue;
    }
    const [, name, , rawLabels, rawValue] = match;
    const value = Number(rawValue);
    const labels: { [k: string]: string } = {};
    for (const m of (rawLabels ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1]] = m[2];
    }
    switch (name) {
      case 'dotscience_model_requests_total':
        sample.requests += value;
        break;
      case 'dotscience_model_errors_total':
        sample.errors += value;
        break;
      case 'dotscience_model_request_duration_seconds_bucket':
        sample.buckets.push([
          labels.le === '+Inf' ? Infinity : Number(labels.le),
          value
        ]);
        break;
      case 'dotscience_model_request_duration_seconds_count':
        sample.latencyCount = value;
        break;
      case 'dotscience_model_predictions_total':
        sample.classes[labels.class] = value;
        break;
    }
  }
  return sample;
}

/**
 * A latency quantile estimated from the histogram's buckets (upper bound of the bucket).
 *
 * @param sample the parsed metrics
 * @param q the quantile, 0..1
 * @returns seconds, or null without observations
 */
export function quantile(sample: IMetricsSample, q: number): number | null {
  if (!sample.latencyCount) {
    return null;
  }
  const rank = q * sample.latencyCount;
  for (const [bound, count] of sample.buckets) {
    if (count >= rank) {
      return bound;
    }
  }
  return null;
}

/**
 * Requests per second between consecutive samples.
 *
 * @param samples oldest first
 * @returns one rate per interval
 */
export function rates(samples: IMetricsSample[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].time - samples[i - 1].time) / 1000;
    out.push(
      dt > 0
        ? Math.max(0, samples[i].requests - samples[i - 1].requests) / dt
        : 0
    );
  }
  return out;
}
