/**
 * What a SkillsStore is made from: the backends it keeps its data in, chosen at start, and the
 * sizes of its caches. Apart from the store so that what assembles one (context.ts, tests, the
 * bench) reads its knobs without reading how it caches.
 */
import type { BlobStore } from './storage/blobs';
import type { ChangeFeed } from './storage/changes';
import type { SearchEngine } from './storage/search';
import type { SqlDatabase } from './storage/sql';

export interface StoreCacheOptions {
  /** Bytes of packument bodies (plain and gzipped) kept; least recently used go first. */
  packumentCacheBytes: number;
  /** Bytes of tarballs kept in memory. */
  tarballCacheBytes: number;
  /** Bytes of search answers kept until the next write (0: every search is ranked afresh). */
  searchCacheBytes: number;
  /** Search counts matches only this far (SEARCH_TOTAL_CAP by default; smaller in tests). */
  searchTotalCap: number;
}

export const DEFAULT_STORE_CACHE: StoreCacheOptions = { packumentCacheBytes: 64 * 1024 * 1024, tarballCacheBytes: 64 * 1024 * 1024, searchCacheBytes: 8 * 1024 * 1024, searchTotalCap: 1000 };

/** Search counts matches only this far: `total` is exact up to it; beyond, it is a lower bound and `totalCapped` is true. */
export const SEARCH_TOTAL_CAP = DEFAULT_STORE_CACHE.searchTotalCap;

/** What the store keeps its data in, chosen at start (see storage/). */
export interface StoreBackends {
  db: SqlDatabase;
  blobs: BlobStore;
  changes: ChangeFeed;
  search: SearchEngine;
}
