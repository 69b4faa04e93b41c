// Time-series plots with uPlot (served from node_modules as it ships): per series, the window features
// (mean with its min and max) on the left axis, the model's score on the right, anomalies marked.
import uPlot from './vendor/uPlot.esm.js';
import { h } from './dom.js';

const COLORS = { mean: '#0b57d0', min: '#7d8590', max: '#7d8590', score: '#146c2e', anomaly: '#b3261e' };

/** A figure with one series' plot, labelled for screen readers with what it shows. */
export function seriesFigure(series, width) {
  const w = series.windows;
  const anomalyScores = w.score.map((s, i) => (w.label[i] === -1 ? s : null));
  const title = `device ${series.device}, tag ${series.tag}`;
  const summary = `${w.start.length} windows, ${series.anomalies} anomalies${series.model ? `, model ${series.model}` : ''}`;
  const plot = h('div', { class: 'plot', role: 'img', 'aria-label': `Plot of ${title}: ${summary}` });
  const figure = h(
    'figure',
    { 'data-series': `${series.device}/${series.tag}` },
    h('figcaption', {}, `${title} — ${summary}`),
    plot,
  );
  const opts = {
    width,
    height: 220,
    legend: { live: false },
    scales: { x: { time: true }, score: { auto: true } },
    axes: [
      {},
      { label: 'value', size: 60 },
      { scale: 'score', side: 1, label: 'score', size: 60, grid: { show: false } },
    ],
    series: [
      { label: 'window start' },
      { label: 'mean', stroke: COLORS.mean, width: 1.5 },
      { label: 'min', stroke: COLORS.min, width: 1, dash: [4, 3] },
      { label: 'max', stroke: COLORS.max, width: 1, dash: [4, 3] },
      { label: 'score', stroke: COLORS.score, width: 1, scale: 'score' },
      {
        label: 'anomaly (label −1)',
        stroke: COLORS.anomaly,
        fill: COLORS.anomaly,
        scale: 'score',
        paths: () => null,
        points: { show: true, size: 9, stroke: COLORS.anomaly, fill: COLORS.anomaly },
      },
    ],
  };
  // uPlot draws into the element once it is in the document.
  queueMicrotask(() => new uPlot(opts, [w.start, w.mean, w.min, w.max, w.score, anomalyScores], plot));
  return figure;
}
