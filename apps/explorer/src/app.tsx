import { useEffect, useRef } from 'preact/hooks';
import { ModelNotice } from './components/model-notice';
import { CropPage } from './pages/crop-page';
import { RunPage } from './pages/run-page';
import { RunsPage } from './pages/runs-page';
import { SearchPage } from './pages/search-page';
import { href, useRoute, type Route } from './router';

const TITLES: Record<Route['page'], string> = { search: 'Search', crop: 'Crop', runs: 'Datasets and runs', run: 'Run' };

export function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);

  // After navigating, keyboard and screen-reader users start at the new page's content.
  const firstRender = useRef(true);
  useEffect(() => {
    document.title = `${TITLES[route.page]} · defect-rag explorer`;
    if (firstRender.current) firstRender.current = false;
    else main.current?.focus({ preventScroll: true });
  }, [route]);

  return (
    <>
      {/* A button, not a link to #main: the hash holds the page. */}
      <button type="button" class="skip-link" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="top-bar">
        <a class="brand" href={href({ page: 'search', similarTo: null })}>
          defect-rag <span>explorer</span>
        </a>
        <nav aria-label="Pages">
          <a
            href={href({ page: 'search', similarTo: null })}
            aria-current={route.page === 'search' ? 'page' : undefined}
          >
            Search
          </a>
          <a
            href={href({ page: 'runs' })}
            aria-current={route.page === 'runs' || route.page === 'run' ? 'page' : undefined}
          >
            Datasets and runs
          </a>
        </nav>
      </header>
      <ModelNotice />
      <main id="main" ref={main} tabIndex={-1}>
        {/* The search page stays mounted, so its query and results are still there on coming back. */}
        <div hidden={route.page !== 'search'}>
          <SearchPage similarTo={route.page === 'search' ? route.similarTo : null} />
        </div>
        {route.page === 'crop' && <CropPage id={route.id} />}
        {route.page === 'runs' && <RunsPage />}
        {route.page === 'run' && <RunPage id={route.id} />}
      </main>
    </>
  );
}
