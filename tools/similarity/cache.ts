/** One embedded item of a measurement cache (tools/similarity/embed.ts): a dataset crop or a control window. */
export interface CachedItem {
  id: string;
  kind: 'crop' | 'window';
  photo: string;
  split: 'train' | 'test' | null;
  damaged: boolean;
  zone: string;
  types: string[];
  file: string;
}
