package state

// Job is one queued delivery (a callback or a webhook event) as the store
// keeps it: the deliver package owns the meaning of Data, the store only
// keeps it durable and says which instance holds it.
type Job struct {
	// ID is unique across instances (the deliver package makes it random).
	ID string `json:"id"`
	// Tenant is whose delivery it is, so that a store can be inspected per
	// tenant; the queue's per-tenant bounds are kept by the deliver package.
	Tenant string `json:"tenant"`
	// Data is the job, opaque to the store.
	Data []byte `json:"data"`
}

// Jobs are the methods of Store that keep the delivery queue (see
// package deliver). Every job belongs to one live instance, the one that
// put or adopted it; only that instance delivers it. When an instance
// stops or dies, its jobs stay in the store, and the next AdoptJobs of a
// live instance (the same process restarted, or another instance sharing
// Redis) takes them over.
type Jobs interface {
	// PutJob stores j durably (replacing a job with its ID) as this
	// instance's; once it returns, j survives kill -9.
	PutJob(j Job) error
	// DeleteJob forgets a job (delivered or given up). Deleting a job that
	// is not stored is no error.
	DeleteJob(id string) error
	// AdoptJobs returns the stored jobs that no live instance holds (left
	// by a process that stopped or died) and makes them this instance's.
	// It never returns a job this instance already holds. Callers call it
	// at start and then periodically: with Redis it also tells the other
	// instances that this one is alive (see JobLease).
	AdoptJobs() ([]Job, error)
}

// Docs are the methods of Store beyond LoadDoc and SaveDoc that small
// shared documents need.
type Docs interface {
	// InitDoc stores data under name unless a document of that name
	// exists, and returns the document stored afterwards: data if it was
	// stored, else the existing one. Of two instances initialising the
	// same document at once, both learn the same winner (the relay key is
	// made this way: generated once, the same on every instance).
	InitDoc(name string, data []byte) ([]byte, error)
}
