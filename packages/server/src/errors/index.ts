export * from './oauth-errors.js';
export { toWire, type WireError } from './to-wire.js';
export { wireText } from './wire-text.js';
