// The jobs API (served at /api by `tessera up` and by the Functions app). Locally the browser carries the
// token as a cookie (the /login link `tessera up` prints); on Azure, App Service authentication's session.

export const API = '/api';

export class NotSignedIn extends Error {}

async function call(method, path, body) {
  const response = await fetch(`${API}${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) throw new NotSignedIn('not signed in');
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(payload?.error?.reason ?? `${response.status} ${response.statusText}`);
  return payload;
}

export const api = {
  jobs: (query = '') => call('GET', `/jobs${query}`),
  job: (id) => call('GET', `/jobs/${encodeURIComponent(id)}`),
  series: (id) => call('GET', `/jobs/${encodeURIComponent(id)}/series`),
  thumbnails: (id) => call('GET', `/jobs/${encodeURIComponent(id)}/thumbnails`),
  cancel: (id) => call('POST', `/jobs/${encodeURIComponent(id)}/cancel`, {}),
  retry: (id) => call('POST', `/jobs/${encodeURIComponent(id)}/retry`, {}),
  deadLetters: (queue) => call('GET', `/deadletters?queue=${encodeURIComponent(queue)}`),
  redrive: (queue, selection) => call('POST', `/deadletters/redrive?queue=${encodeURIComponent(queue)}`, selection),
  deadEvents: () => call('GET', '/deadletters/events'),
  redriveEvents: (selection) => call('POST', '/deadletters/events/redrive', selection),
  streamRuns: () => call('GET', '/stream/runs'),
};
