import { api } from './api.js';
import { h, table } from './dom.js';

/** Before/after thumbnails of frames from several ranges, and the time each stage took. */
export async function videoPanel(job) {
  const section = h(
    'section',
    { 'aria-labelledby': 'frames-h' },
    h('h2', { id: 'frames-h' }, 'Frames before and after'),
  );
  let data;
  try {
    data = await api.thumbnails(job.id);
  } catch (error) {
    section.append(h('p', { class: 'notice' }, `No thumbnails: ${error.message}`));
    return section;
  }
  section.append(
    h(
      'div',
      { class: 'thumbs' },
      data.thumbnails.map((t) =>
        h(
          'figure',
          { 'data-frame': t.frame },
          h('figcaption', {}, `frame ${t.frame} (${t.seconds.toFixed(2)} s, range ${t.shardId})`),
          h(
            'div',
            { class: 'pair' },
            h('img', { src: t.before, alt: `frame ${t.frame} before styling` }),
            t.after
              ? h('img', { src: t.after, alt: `frame ${t.frame} after styling` })
              : h('p', {}, 'no styled output'),
          ),
        ),
      ),
    ),
  );
  if (data.stagesMs) {
    const entries = Object.entries(data.stagesMs);
    const longest = Math.max(1, ...entries.map(([, v]) => v));
    section.append(
      h('h2', {}, 'Stage timings'),
      table(
        'Milliseconds per stage (decodeWait, model and encodeWait summed over the ranges)',
        ['Stage', { label: 'ms', num: true }, 'Share of the longest'],
        entries.map(([stage, ms]) => [
          stage,
          String(Math.round(ms)),
          h('span', { class: 'bar', style: `width:${Math.round((ms / longest) * 200)}px`, 'aria-hidden': 'true' }),
        ]),
      ),
    );
  }
  return section;
}
