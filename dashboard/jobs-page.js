import { api } from './api.js';
import { h, progressBar, stateBadge, table, when } from './dom.js';

const STATES = ['', 'planning', 'running', 'finishing', 'succeeded', 'failed'];
const KINDS = ['', 'anomaly', 'video', 'stream', 'unknown'];

/** The jobs list, filtered by state and kind, refreshed every two seconds (live progress). */
export async function jobsPage(main) {
  const filters = { state: '', kind: '' };
  const select = (name, options) =>
    h(
      'label',
      {},
      name === 'state' ? 'State' : 'Kind',
      h(
        'select',
        { name, onchange: (e) => ((filters[name] = e.target.value), refresh()) },
        options.map((o) => h('option', { value: o }, o === '' ? 'any' : o)),
      ),
    );
  const list = h('div', { id: 'jobs' });
  main.replaceChildren(
    h('h1', {}, 'Jobs'),
    h('div', { class: 'filters' }, select('state', STATES), select('kind', KINDS)),
    list,
  );

  async function refresh() {
    const query = new URLSearchParams({ limit: '200' });
    if (filters.state) query.set('state', filters.state);
    if (filters.kind) query.set('kind', filters.kind);
    const { jobs } = await api.jobs(`?${query}`);
    // A refresh keeps the keyboard where it was: the link that had focus gets it back.
    const focused = list.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
    list.replaceChildren(
      jobs.length === 0
        ? h('p', {}, 'No jobs yet: drop a file into the inbox, or run "tessera submit FILE".')
        : table(
            `${jobs.length} job(s), newest first`,
            ['Job', 'Kind', 'State', 'Progress', 'Created', 'Input'],
            jobs.map((j) => [
              h('a', { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id),
              j.kind,
              stateBadge(j.state),
              progressBar(j),
              when(j.createdAt),
              j.input.name ?? (j.input.tick ? `tick ${when(j.input.tick)}` : ''),
            ]),
          ),
    );
    if (focused) list.querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus();
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), 2000);
  return () => clearInterval(timer);
}
