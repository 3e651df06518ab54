/**
 * The user's own tasks in IndexedDB (through `idb`, a database of its own): each saved task is its canonical JSON
 * with a name and the time it was saved. Listed newest first beside the built-in tasks; a quota error is a
 * StoreError the page shows. Works wherever IndexedDB exists (page; fake-indexeddb in unit tests).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { anyTaskDocumentJson, parseAnyTaskDocument } from '../../core/tasks/custom/any-document';
import { StoreError } from '../../core/store/records';

export interface SavedTask {
  id: string;
  name: string;
  /** The task document, canonical JSON. */
  json: string;
  savedAt: number;
}

interface TasksDB extends DBSchema {
  tasks: { key: string; value: SavedTask };
}

export class TaskStore {
  readonly #db: Promise<IDBPDatabase<TasksDB>>;

  constructor(name = 'raftlab-tasks') {
    this.#db = openDB<TasksDB>(name, 1, {
      upgrade(db) {
        db.createObjectStore('tasks', { keyPath: 'id' });
      },
    });
  }

  /** Save a task (a new one, or over `id`); the document is checked and stored canonical. */
  async save(json: string, id?: string): Promise<SavedTask> {
    const doc = parseAnyTaskDocument(json);
    const task: SavedTask = { id: id ?? `task-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, name: doc.name, json: anyTaskDocumentJson(doc), savedAt: Date.now() };
    try {
      await (await this.#db).put('tasks', task);
    } catch (e) {
      const name = (e as { name?: string })?.name;
      if (name === 'QuotaExceededError') throw new StoreError('Storage is full: the task could not be saved. Delete old runs or tasks to make room.', 'quota');
      throw e;
    }
    return task;
  }

  /** Every saved task, newest first. */
  async list(): Promise<SavedTask[]> {
    const all = await (await this.#db).getAll('tasks');
    return all.sort((a, b) => b.savedAt - a.savedAt);
  }

  async get(id: string): Promise<SavedTask | undefined> {
    return (await this.#db).get('tasks', id);
  }

  async delete(id: string): Promise<void> {
    await (await this.#db).delete('tasks', id);
  }
}
