// Request snapshots of jobs created from this page, keyed by jobId: the input image for the result overlay when
// the job API does not return the stored request, and the payload for a client-side retry against a backend
// without POST /jobs/{id}/retry. Kept in memory and, best effort, in sessionStorage (survives a reload).

const STORAGE_KEY = 'bdiMonitorSnapshots';
const MAX_SNAPSHOTS = 20;

export function createSnapshotStore() {
  const snapshots = new Map(load());

  function load() {
    try {
      const parsed = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((entry) => Array.isArray(entry) && entry.length === 2) : [];
    } catch {
      return [];
    }
  }

  function persist() {
    let entries = [...snapshots.entries()];
    // Images are large; drop the oldest until it fits the storage quota (memory keeps them all).
    while (entries.length > 0) {
      try {
        window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(entries));
        return;
      } catch {
        entries = entries.slice(1);
      }
    }
    try {
      window.sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // storage disabled
    }
  }

  return {
    get(jobId) {
      return snapshots.get(jobId) ?? null;
    },
    set(jobId, snapshot) {
      snapshots.delete(jobId);
      snapshots.set(jobId, snapshot);
      while (snapshots.size > MAX_SNAPSHOTS) snapshots.delete(snapshots.keys().next().value);
      persist();
    },
  };
}
