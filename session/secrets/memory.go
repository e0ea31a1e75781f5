package secrets

import (
	"context"
	"fmt"
	"sync"
)

// Memory returns a store that holds credentials in memory only (demo
// mode). Get returns c for any profile until Set or Delete change it.
func Memory(c Credentials) Store { return &memoryStore{c: c, has: c.Complete()} }

type memoryStore struct {
	mu  sync.Mutex
	c   Credentials
	has bool
}

func (m *memoryStore) Where() string { return "memory (demo mode)" }

func (m *memoryStore) Get(ctx context.Context, profile string) (Credentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has {
		return Credentials{}, newError(ErrNotFound, fmt.Sprintf("No credentials are held for profile %q in demo mode.", profile), nil)
	}
	return m.c, nil
}

func (m *memoryStore) Set(ctx context.Context, profile string, c Credentials) error {
	c, err := prepare(c)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c, m.has = c, true
	return nil
}

func (m *memoryStore) Delete(ctx context.Context, profile string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has {
		return newError(ErrNotFound, fmt.Sprintf("No credentials are held for profile %q in demo mode.", profile), nil)
	}
	m.c, m.has = Credentials{}, false
	return nil
}
