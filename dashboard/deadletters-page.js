import { api } from './api.js';
import { announce, h, table, when } from './dom.js';

/** One queue's dead letters, each with a checkbox, and a button to re-drive the chosen ones (or all). */
async function queueSection(queue) {
  const { messages } = await api.deadLetters(queue);
  const chosen = new Set();
  const section = h(
    'section',
    { 'aria-labelledby': `dlq-${queue}` },
    h('h2', { id: `dlq-${queue}` }, `Queue "${queue}"`),
  );
  if (messages.length === 0) {
    section.append(h('p', {}, 'No dead letters.'));
    return section;
  }
  const redrive = async (selection, label) => {
    const { redriven } = await api.redrive(queue, selection);
    announce(`${redriven} message(s) of ${queue} ${label} sent back to the queue`);
    section.replaceWith(await queueSection(queue));
  };
  section.append(
    table(
      `${messages.length} dead-lettered message(s); re-drive them once their cause is fixed`,
      ['Re-drive', { label: 'Seq', num: true }, 'Dead-lettered', 'Job', 'Shard', 'Reason'],
      messages.map((m) => [
        h('input', {
          type: 'checkbox',
          'aria-label': `re-drive message ${m.sequenceNumber}`,
          onchange: (e) => (e.target.checked ? chosen.add(m.sequenceNumber) : chosen.delete(m.sequenceNumber)),
        }),
        String(m.sequenceNumber),
        when(m.deadLetteredAt),
        m.jobId ? h('a', { href: `#/jobs/${encodeURIComponent(m.jobId)}` }, m.jobId) : '',
        m.shardId ?? '',
        `${m.reason}: ${m.description}`,
      ]),
    ),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', onclick: () => chosen.size && redrive({ sequenceNumbers: [...chosen] }, 'chosen') },
        'Re-drive chosen',
      ),
      h('button', { type: 'button', class: 'secondary', onclick: () => redrive({ all: true }, 'all') }, 'Re-drive all'),
    ),
  );
  return section;
}

async function eventsSection() {
  const { events } = await api.deadEvents();
  const section = h(
    'section',
    { 'aria-labelledby': 'dlq-events' },
    h('h2', { id: 'dlq-events' }, 'Refused stream events'),
  );
  if (events.length === 0) {
    section.append(h('p', {}, 'No refused events.'));
    return section;
  }
  section.append(
    table(
      `${events.length} event(s) the aggregator refused`,
      ['Event', 'Enqueued', 'Reasons'],
      events.map((e) => [
        `${e.partition}:${e.sequenceNumber}`,
        when(e.enqueuedTime),
        e.rejects.map((r) => `${r.reason}: ${r.detail}`).join('; '),
      ]),
    ),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            const result = await api.redriveEvents({ all: true });
            announce(`${result.redriven} event(s) appended again`);
            section.replaceWith(await eventsSection());
          },
        },
        'Re-drive all events',
      ),
    ),
  );
  return section;
}

/** The dead-letter queues (jobs, and control where the server has it) and the refused stream events. */
export async function deadLettersPage(main) {
  const sections = [await queueSection('jobs')];
  try {
    sections.push(await queueSection('control'));
  } catch {
    // Only the Azure app has a control queue.
  }
  main.replaceChildren(h('h1', {}, 'Dead letters'), ...sections, await eventsSection());
}
