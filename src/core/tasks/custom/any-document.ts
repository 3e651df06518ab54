/**
 * A task document of either form, read where documents enter the lab (a link's or a run's `taskDoc`, the CLI's
 * --task-file, the editor, saved tasks): the text form (document.ts; no `kind`, or `"kind": "text"`) or the image
 * form (image-document.ts, `"kind": "image"`). Both are strict and canonical; a text document's canonical text is
 * what it always was.
 */
import { parseTaskDocument, readTaskDocumentObject, taskDocumentJson, type TaskDocument } from './document';
import { parseImageTaskDocument, type ImageTaskDocument } from './image-document';

export type AnyTaskDocument = TaskDocument | ImageTaskDocument;

export function isImageDocument(doc: AnyTaskDocument): doc is ImageTaskDocument {
  return 'kind' in doc && doc.kind === 'image';
}

/** Parse and check a task document of either form (JSON text or a parsed value). Throws TaskDocumentError. */
export function parseAnyTaskDocument(input: unknown): AnyTaskDocument {
  const v = readTaskDocumentObject(input);
  return v.kind === 'image' ? parseImageTaskDocument(v) : parseTaskDocument(v);
}

/** The canonical JSON text of a task of either form (what a run's config stores). */
export function anyTaskDocumentJson(doc: AnyTaskDocument): string {
  return isImageDocument(doc) ? JSON.stringify(doc) : taskDocumentJson(doc);
}
