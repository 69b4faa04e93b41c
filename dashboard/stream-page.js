import { api } from './api.js';
import { h, progressBar, stateBadge, table, when } from './dom.js';

/** The sensor stream's scoring runs; each run's page shows its windows with their revisions. */
export async function streamPage(main) {
  const { runs } = await api.streamRuns();
  main.replaceChildren(
    h('h1', {}, 'Stream runs'),
    runs.length === 0
      ? h(
          'p',
          {},
          'No runs yet: readings sent to the readings endpoint are windowed, and each schedule tick scores the closed windows.',
        )
      : table(
          `${runs.length} run(s), newest first; open one for its windows and revisions`,
          [
            'Run',
            'Tick',
            'State',
            'Progress',
            { label: 'Windows', num: true },
            { label: 'Revisions', num: true },
            { label: 'Anomalies', num: true },
          ],
          runs.map((r) => [
            h('a', { href: `#/jobs/${encodeURIComponent(r.id)}` }, r.id),
            when(r.input.tick),
            stateBadge(r.state),
            progressBar(r),
            String(r.counts.windows ?? 0),
            String(r.counts.revisions ?? 0),
            String(r.counts.anomalies ?? 0),
          ]),
        ),
  );
}
