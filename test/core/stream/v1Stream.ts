import type { EventRecord } from '../../../src/ports/eventLog.js';
import type { AggregatorOptions } from '../../../src/core/stream/aggregatorTypes.js';
import type { StreamReading } from '../../../src/core/stream/readingSchema.js';
import { batchaiReadings, readingOf, recordOf, seeded } from './streamFixtures.js';

/**
 * The stream of fixtures/aggregator-snapshot-v1.json: device 1 of the sensor file, one to three
 * readings an event, a fifth of them a few seconds out of order and three in a hundred 20 to 45 s late (the late tolerance is 30 s),
 * each with a producer id. The fixture is the snapshot, as version 1 wrote it (one watermark per
 * partition), of the aggregator of main at fb31e20 after the first V1_CUT events, with the windows
 * emitted by its last 20 events left undrained (`pending`).
 */
export const V1_OPTIONS: AggregatorOptions = {
  partition: 0,
  windows: { kind: 'tumbling', sizeSeconds: 60 },
  outOfOrderToleranceMs: 2000,
  lateArrivalToleranceMs: 30_000,
  latePolicy: 'adjust',
};
export const V1_CUT = 390;

export function v1Steps(): { record: EventRecord; readings: StreamReading[] }[] {
  const rnd = seeded(11);
  const source = batchaiReadings()
    .filter((r) => r.device === '1')
    .slice(0, 1500);
  const steps: { record: EventRecord; readings: StreamReading[] }[] = [];
  for (let i = 0; i < source.length;) {
    const n = 1 + Math.floor(rnd() * 3);
    const readings = source.slice(i, i + n).map((r, k) => {
      const roll = rnd();
      const shift = roll < 0.03 ? -20_000 - Math.floor(rnd() * 25_000) : roll < 0.2 ? -Math.floor(rnd() * 3000) : 0;
      return readingOf(r.ts + shift, r.value, { deviceId: r.device, tag: r.tag, id: `v1-${i + k}` });
    });
    steps.push({ record: recordOf(steps.length), readings });
    i += n;
  }
  return steps;
}
