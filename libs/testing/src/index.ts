export { sharedPathOrSkip, sampleDatasetOrSkip } from './shared';
