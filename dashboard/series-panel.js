import { api } from './api.js';
import { seriesFigure } from './charts.js';
import { h, table, when } from './dom.js';

/** Plots per series; for a stream run, also its windows with their revisions (revised ones marked). */
export async function seriesPanel(job, width) {
  const section = h('section', { 'aria-labelledby': 'series-h' }, h('h2', { id: 'series-h' }, 'Series'));
  let series;
  try {
    ({ series } = await api.series(job.id));
  } catch (error) {
    section.append(h('p', { class: 'notice' }, `No scores to plot: ${error.message}`));
    return section;
  }
  section.append(
    h(
      'div',
      { class: 'charts' },
      series.map((s) => seriesFigure(s, width)),
    ),
  );
  if (job.kind === 'stream') section.append(windowsTable(series));
  return section;
}

function windowsTable(series) {
  const rows = [];
  for (const s of series)
    s.windows.start.forEach((start, i) =>
      rows.push({
        key: `${s.device}/${s.tag}`,
        start,
        revision: s.windows.revision[i],
        count: s.windows.count[i],
        score: s.windows.score[i],
        label: s.windows.label[i],
      }),
    );
  rows.sort((a, b) => a.key.localeCompare(b.key) || a.start - b.start || a.revision - b.revision);
  const revised = rows.filter((r) => r.revision > 1).length;
  return h(
    'section',
    { 'aria-labelledby': 'windows-h' },
    h('h2', { id: 'windows-h' }, 'Windows and revisions'),
    table(
      `${rows.length} window(s) scored, ${revised} of them revisions (late events re-opened a closed window; highlighted)`,
      [
        'Series',
        'Window start',
        { label: 'Revision', num: true },
        { label: 'Readings', num: true },
        { label: 'Score', num: true },
        'Label',
      ],
      rows.map((r) => [
        r.key,
        when(new Date(r.start * 1000).toISOString()),
        String(r.revision),
        String(r.count),
        r.score.toFixed(4),
        r.label === -1 ? 'anomaly' : 'normal',
      ]),
      (i) => (rows[i].revision > 1 ? { class: 'revised' } : {}),
    ),
  );
}
