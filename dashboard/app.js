// The dashboard: a hash router over three sections. Each page renders into <main> and may return a stop
// function (its live refresh), called when the route changes.
import { NotSignedIn } from './api.js';
import { h } from './dom.js';
import { deadLettersPage } from './deadletters-page.js';
import { jobPage } from './job-page.js';
import { jobsPage } from './jobs-page.js';
import { streamPage } from './stream-page.js';

const main = document.getElementById('main');
let stop = () => {};

function route(hash) {
  const path = hash.replace(/^#/, '') || '/';
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job) return { nav: '#/', page: () => jobPage(main, decodeURIComponent(job[1])) };
  if (path === '/deadletters') return { nav: '#/deadletters', page: () => deadLettersPage(main) };
  if (path === '/stream') return { nav: '#/stream', page: () => streamPage(main) };
  return { nav: '#/', page: () => jobsPage(main) };
}

export function showError(error) {
  main.replaceChildren(
    error instanceof NotSignedIn
      ? h(
          'p',
          { class: 'notice' },
          'Not signed in. Open the dashboard link "tessera up" printed (it carries the token), or sign in to the Azure app.',
        )
      : h('p', { class: 'error', role: 'alert' }, `Something went wrong: ${error.message}`),
  );
}

/** Renders the route; after a navigation (not the first load) focus moves to the new content. */
async function render(event) {
  stop();
  stop = () => {};
  const { nav, page } = route(location.hash);
  for (const a of document.querySelectorAll('header nav a')) {
    if (a.getAttribute('href') === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren(h('p', {}, 'Loading…'));
  try {
    stop = (await page()) ?? (() => {});
    if (event) main.focus({ preventScroll: true });
  } catch (error) {
    showError(error);
  }
}

// The skip link moves focus to the content without touching the hash, which is the router's.
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', render);
render();
