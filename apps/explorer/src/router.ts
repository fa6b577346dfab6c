import { useEffect, useState } from 'preact/hooks';

/**
 * Pages live in the URL's hash (`#/crop/<id>`), so every page is a link that can be shared or
 * reloaded while the server only ever serves `/`.
 */
export type Route =
  | { page: 'search'; similarTo: string | null }
  | { page: 'crop'; id: string }
  | { page: 'runs' }
  | { page: 'run'; id: string };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'crop' && parts[1]) return { page: 'crop', id: parts[1] };
  if (parts[0] === 'runs' && parts[1]) return { page: 'run', id: parts[1] };
  if (parts[0] === 'runs') return { page: 'runs' };
  return { page: 'search', similarTo: new URLSearchParams(search).get('similar') };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'search':
      return route.similarTo ? `#/search?similar=${encodeURIComponent(route.similarTo)}` : '#/search';
    case 'crop':
      return `#/crop/${encodeURIComponent(route.id)}`;
    case 'runs':
      return '#/runs';
    case 'run':
      return `#/runs/${encodeURIComponent(route.id)}`;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
