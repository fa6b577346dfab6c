import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { pageSize } from '@defect-rag/interface';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../limits';
import { Check } from '../validation';

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, 1…${MAX_PAGE_SIZE}.` })
  @Check(pageSize)
  first!: number;

  /** Its format depends on the list, so each list's resolver checks it (`uuidCursor`, `problemCursor`). */
  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string;
}

@ObjectType({ description: 'Relay page info. Pages go forward only (first/after).' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'True when the page was asked for with `after`.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** A page of the pipeline's repositories, as the Relay connection fields want it. */
export interface PageOf<T> {
  items: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

/** The connection object of a page; a node's cursor is its id. */
export function toConnection<T extends { id: string }>(page: PageOf<T>, after: string | null | undefined) {
  return {
    edges: page.items.map((node) => ({ cursor: node.id, node })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: after != null,
      startCursor: page.items[0]?.id ?? null,
      endCursor: page.endCursor,
    },
    totalCount: page.totalCount,
  };
}

/**
 * The base of a Relay connection type: `class RunConnection extends Connection(Run, 'Run') {}`
 * with `@ObjectType()` on the subclass gives `RunConnection` and `RunEdge`.
 */
export function Connection<T extends object>(Node: new () => T, nodeName: string) {
  @ObjectType(`${nodeName}Edge`)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => Node)
    node!: T;
  }

  // Named only to keep type names unique; as no field returns this base class, the schema never shows it.
  @ObjectType(`${nodeName}ConnectionBase`)
  abstract class ConnectionBase {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Items in the whole list, over all pages.' })
    totalCount!: number;
  }
  return ConnectionBase;
}
