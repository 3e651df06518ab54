/** A Hub checkpoint, config or adapter the lab cannot use; the message names the problem for people. */
export class HubModelError extends Error {}
