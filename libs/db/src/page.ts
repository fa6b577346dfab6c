/** One page of a list ordered newest first; `endCursor` is the id to pass as `after` for the next. */
export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

export interface PageRequest {
  first: number;
  after?: string | null;
}

export function toPage<T extends { id: string }>(rows: T[], first: number, totalCount: number): Page<T> {
  const items = rows.slice(0, first);
  return { items, hasNextPage: rows.length > first, endCursor: items.at(-1)?.id ?? null, totalCount };
}
