/**
 * What kind of run a config is, from its task and, for task `custom`, its document: a custom task whose document is
 * the image form (`"kind": "image"`, tasks/custom/image-document.ts) runs as an image run on the embedded model it
 * names, and behaves as that model's task everywhere a run's kind matters (its engine, denoiser, defaults, settings
 * shown, table columns). Read without a full parse (a config's document was checked when it entered the config:
 * config/task-link.ts) and never throws: a document that is not JSON reads as a text task, whose parser then says
 * what is wrong. Imports only the catalogue, so the config's lowest layers can ask.
 */
import { isImageTaskName, type TaskName } from './catalogue';

/** The embedded image models an image task document can run on: their tasks. */
export const IMAGE_DOCUMENT_MODELS = ['scenes', 'shapes'] as const;
export type ImageDocumentModel = (typeof IMAGE_DOCUMENT_MODELS)[number];

/** The image tasks a run can behave as. */
export type ImageTaskName = ImageDocumentModel | 'hub-images';

let last: { json: string; model: ImageDocumentModel | null } = { json: '', model: null };

/** The model an image task document names (`kind: image`), or null for a text document (or none). Never throws. */
export function imageDocumentModel(taskDoc: string): ImageDocumentModel | null {
  if (taskDoc === '') return null;
  if (last.json !== taskDoc) {
    let model: ImageDocumentModel | null = null;
    try {
      const v = JSON.parse(taskDoc) as { kind?: unknown; model?: unknown } | null;
      if (v && v.kind === 'image') model = (IMAGE_DOCUMENT_MODELS as readonly unknown[]).includes(v.model) ? (v.model as ImageDocumentModel) : 'scenes';
    } catch {
      model = null;
    }
    last = { json: taskDoc, model };
  }
  return last.model;
}

/** The image task a run behaves as: shapes, scenes or hub-images by name, a custom image document's model, else null. */
export function imageTaskOf(config: { task: string; taskDoc: string }): ImageTaskName | null {
  if (config.task === 'custom') return imageDocumentModel(config.taskDoc);
  return isImageTaskName(config.task) ? (config.task as ImageTaskName) : null;
}

/** Whether a run draws images (on the diffusion engine) rather than writing text. */
export function isImageRun(config: { task: string; taskDoc: string }): boolean {
  return imageTaskOf(config) !== null;
}

/** The task whose defaults and settings a run takes: its own, or for a custom image document, its model's task. */
export function behavesAs(config: { task: string; taskDoc: string }): TaskName {
  return (config.task === 'custom' ? imageDocumentModel(config.taskDoc) : null) ?? (config.task as TaskName);
}
