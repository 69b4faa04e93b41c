// Small DOM helpers: elements are built from data with textContent, never from HTML strings.

/** An element: h('td', { class: 'num' }, 'text', child, …). Attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A table with a caption and header cells scoped to their columns; `rows` are arrays of cells (strings or nodes). */
export function table(caption, headers, rows, rowAttrs = () => ({})) {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label ?? c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells, i) =>
        h(
          'tr',
          rowAttrs(i),
          cells.map((cell, j) => h('td', { class: headers[j]?.num ? 'num' : undefined }, cell)),
        ),
      ),
    ),
  );
}

export function stateBadge(state) {
  return h('span', { class: `state state-${state}` }, state);
}

export function progressBar(job) {
  const s = job.progress.shards;
  const done = s.succeeded + s.failed;
  return h(
    'span',
    {},
    h('progress', { max: 1, value: job.progress.fraction.toFixed(3), 'aria-label': `job ${job.id} progress` }),
    ` ${done}/${s.total}`,
  );
}

export function when(iso) {
  return iso
    ? new Date(iso)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '';
}

export function announce(text) {
  const region = document.getElementById('announce');
  if (region) region.textContent = text;
}
