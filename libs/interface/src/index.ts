// What the API's two edges, GraphQL (apps/api) and MCP (libs/mcp), share so that each input check
// and each error code is declared once.
export {
  filterValues,
  MAX_PAGE_SIZE,
  MAX_QUERY_TEXT_LENGTH,
  optional,
  pageSize,
  parseInput,
  shortText,
  uuid,
  uuidCursor,
} from './inputs';
export { cropId, filterChecks, finite, oneRegionShape, queryChecks, regionPolygon } from './search-inputs';
export { labelChecks, oneNoDamageWindow } from './label-inputs';
export { apiCodeOf, HTTP_STATUS, type ApiErrorCode } from './errors';
