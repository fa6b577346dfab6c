export { generateDemoDataset, type DemoDatasetOptions, type DemoDatasetSummary } from './generate';
