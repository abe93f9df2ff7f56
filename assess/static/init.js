// Start GOV.UK Frontend's components (a file of its own, so that the CSP allows no inline script).
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();
