// Imported first by handler tests: the variables must be set before the shared Powertools instances are built.
import { API_ENVIRONMENT } from './events.js';

Object.assign(process.env, API_ENVIRONMENT);
