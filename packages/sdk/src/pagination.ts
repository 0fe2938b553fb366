/** One page of a list, from the API's `{items, pagination: {nextCursor, total}}`. */
export interface PageData<T> {
  items: T[];
  nextCursor: string | undefined;
  total: number | undefined;
}

/**
 * A page of results that can also walk every following page:
 * `for await (const item of page)` yields this page's items, then fetches the
 * next pages by cursor until there are none.
 */
export class Page<T> implements AsyncIterable<T> {
  readonly items: T[];
  readonly nextCursor: string | undefined;
  readonly total: number | undefined;

  constructor(
    data: PageData<T>,
    private readonly fetchPage: (cursor: string) => Promise<Page<T>>,
  ) {
    this.items = data.items;
    this.nextCursor = data.nextCursor;
    this.total = data.total;
  }

  hasNextPage(): boolean {
    return this.nextCursor !== undefined;
  }

  /** The next page; throws if there is none (check `hasNextPage()`). */
  getNextPage(): Promise<Page<T>> {
    if (this.nextCursor === undefined) throw new Error('no next page');
    return this.fetchPage(this.nextCursor);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let page: Page<T> = this;
    for (;;) {
      yield* page.items;
      if (!page.hasNextPage()) return;
      page = await page.getNextPage();
    }
  }
}

/**
 * What list methods return: await it for the first page, or iterate it with
 * `for await` for every item across pages.
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  private promise: Promise<Page<T>> | undefined;

  constructor(private readonly first: () => Promise<Page<T>>) {}

  private load(): Promise<Page<T>> {
    return (this.promise ??= this.first());
  }

  then<A = Page<T>, B = never>(
    onFulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.load().then(onFulfilled, onRejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.load();
  }
}
