import { api } from './api.js';
import { announce, h, progressBar, stateBadge, table, when } from './dom.js';
import { seriesPanel } from './series-panel.js';
import { videoPanel } from './video-panel.js';

const ended = (state) => state === 'succeeded' || state === 'failed';
const jobLink = (id) => h('a', { href: `#/jobs/${encodeURIComponent(id)}` }, id);
const MAX_SHARDS = 300;

function facts(job) {
  const rows = [
    ['Kind', job.kind],
    ['State', stateBadge(job.state)],
    ['Progress', progressBar(job)],
    ['Input', job.input.name ? `${job.input.container}/${job.input.name}` : `tick ${when(job.input.tick)}`],
    ['Size', job.input.size === null ? null : `${job.input.size.toLocaleString('en-US')} bytes`],
    ['Created', when(job.createdAt)],
    ['Updated', when(job.updatedAt)],
    ['Attempt', job.attempt > 1 ? [`${job.attempt}, a retry of `, jobLink(job.retryOf)] : null],
    ['Retried as', job.retriedBy ? jobLink(job.retriedBy) : null],
    ['Error', job.error ? h('span', { class: 'error' }, job.error) : null],
    ...Object.entries(job.counts).map(([k, v]) => [k, v.toLocaleString('en-US')]),
  ];
  return h(
    'dl',
    { class: 'facts' },
    rows.filter(([, v]) => v !== null).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

function actions(detail, onChange) {
  const { job } = detail;
  const act = (label, enabled, run) =>
    h(
      'button',
      {
        type: 'button',
        disabled: !enabled,
        onclick: async (e) => {
          e.target.disabled = true;
          try {
            await run();
          } catch (error) {
            announce(`${label} failed: ${error.message}`);
            e.target.disabled = false;
          }
        },
      },
      label,
    );
  return h(
    'div',
    { class: 'actions' },
    act('Cancel job', !ended(job.state), async () => {
      await api.cancel(job.id);
      announce(`job ${job.id} cancelled`);
      await onChange();
    }),
    act('Retry job', job.state === 'failed', async () => {
      const { job: next } = await api.retry(job.id);
      announce(`retrying as job ${next.id}`);
      location.hash = `#/jobs/${encodeURIComponent(next.id)}`;
    }),
  );
}

function body(detail) {
  const { job } = detail;
  const parts = [
    h('h2', { id: 'files-h' }, 'Downloads'),
    detail.files.length === 0
      ? h('p', {}, ended(job.state) ? 'This job wrote no result files.' : 'Result files appear when the job ends.')
      : h(
          'ul',
          { 'aria-labelledby': 'files-h' },
          detail.files.map((f) =>
            h(
              'li',
              {},
              h('a', { href: f.url, download: f.name }, f.name),
              ` (${f.size.toLocaleString('en-US')} bytes)`,
            ),
          ),
        ),
    h('h2', {}, 'Errors'),
    detail.errors.job || detail.errors.shards.length || detail.errors.rows.length
      ? [
          detail.errors.job ? h('p', { class: 'error' }, detail.errors.job) : null,
          detail.errors.shards.length
            ? table(
                'Failed shards',
                ['Shard', 'Reason'],
                detail.errors.shards.map((e) => [e.shardId, e.reason]),
              )
            : null,
          detail.errors.rows.length
            ? table(
                'Rejected input rows',
                ['Reason', { label: 'Rows', num: true }, 'First lines'],
                detail.errors.rows.map((r) => [r.reason, String(r.count), r.firstLines.join(', ')]),
              )
            : null,
        ]
      : h('p', {}, 'None.'),
    h('h2', {}, 'Lineage'),
    h(
      'p',
      {},
      detail.lineage.input
        ? `Input ${detail.lineage.input.container}/${detail.lineage.input.name}, version (ETag) ${detail.lineage.input.etag}`
        : 'No input blob (a scheduled run).',
    ),
    detail.lineage.models.length
      ? table(
          'Model versions pinned for the job',
          ['Series', 'Model', 'sha256'],
          detail.lineage.models.map((m) => [m.series ?? 'all frames', m.model ?? 'no model', m.sha256 ?? '']),
        )
      : null,
    h('h2', {}, 'Shards'),
    table(
      `${detail.shards.length} shard(s)${detail.shards.length > MAX_SHARDS ? `, the first ${MAX_SHARDS} shown` : ''}`,
      ['Shard', 'Covers', 'State', { label: 'Attempts', num: true }, 'Error'],
      detail.shards
        .slice(0, MAX_SHARDS)
        .map((s) => [
          s.id,
          s.series
            ? `${s.series.device}${s.series.tag ? `/${s.series.tag}` : ''}`
            : s.frames
              ? `frames ${s.frames.start}–${s.frames.end - 1}`
              : '',
          stateBadge(s.state),
          String(s.attempts),
          s.error ?? '',
        ]),
    ),
  ];
  return h('div', {}, parts);
}

/** One job: facts, actions, downloads, errors, lineage, shards; once it has ended, its plots or frames. */
export async function jobPage(main, id) {
  const top = h('div');
  const extra = h('div');
  main.replaceChildren(h('h1', {}, `Job ${id}`), top, extra);
  let timer;
  let extraLoaded = false;
  async function refresh() {
    const detail = await api.job(id);
    top.replaceChildren(facts(detail.job), actions(detail, refresh), body(detail));
    if (ended(detail.job.state)) {
      clearInterval(timer);
      if (!extraLoaded) {
        extraLoaded = true;
        const width = Math.max(320, Math.min(560, main.clientWidth - 40));
        if (detail.job.kind === 'video') extra.replaceChildren(await videoPanel(detail.job));
        else if (detail.job.kind === 'anomaly' || detail.job.kind === 'stream')
          extra.replaceChildren(await seriesPanel(detail.job, width));
      }
    }
  }
  await refresh();
  timer = setInterval(() => refresh().catch(() => {}), 2000);
  return () => clearInterval(timer);
}
