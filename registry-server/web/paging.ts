/** Paging of the catalog's lists (search results, a scope's skills): the page size and the `page` parameter. */
export const PAGE_SIZE = 20;
const MAX_PAGE = 500;

export function pageNumber(value: string | undefined): number {
  const n = Number(value ?? '1');
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_PAGE) : 1;
}
