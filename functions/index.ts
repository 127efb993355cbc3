/** Entry point of the Functions app (package.json `main`): registers every function. */
import "./plan.js";
import "./harvest.js";
import "./curate.js";
