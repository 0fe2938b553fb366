package cadreen

// Iter walks every item of a list across pages, fetching the next page when the current one is used up.
type Iter[T any] struct {
	fetch   func(cursor string) ([]T, string, error)
	items   []T
	index   int
	cursor  string
	started bool
	current T
	err     error
}

func newIter[T any](fetch func(cursor string) ([]T, string, error), cursor string) *Iter[T] {
	return &Iter[T]{fetch: fetch, cursor: cursor, index: -1}
}

// Next advances to the next item; it returns false at the end or on an error (see Err).
func (it *Iter[T]) Next() bool {
	for {
		if it.err != nil {
			return false
		}
		if it.index+1 < len(it.items) {
			it.index++
			it.current = it.items[it.index]
			return true
		}
		if it.started && it.cursor == "" {
			return false
		}
		it.started = true
		it.items, it.cursor, it.err = it.fetch(it.cursor)
		it.index = -1
	}
}

// Current is the item Next moved to.
func (it *Iter[T]) Current() T { return it.current }

// Err is the error that stopped the walk, if any.
func (it *Iter[T]) Err() error { return it.err }
