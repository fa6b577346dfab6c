import { projectTestConfig } from '../../vitest.shared';

// The browser test builds the page, ingests the sample and starts the API: its hooks take a while.
export default projectTestConfig(import.meta.url, { test: { testTimeout: 60_000 } });
