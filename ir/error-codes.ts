/**
 * @fileoverview The catalogue of hec's error codes: each `HECnnnn`, what it means, and the fix printed when the place
 * that raises it has no more specific one. `HecError` (ir/diagnostics.ts) looks the fix up here, so every coded error
 * prints a `fix:` line; test/unit/error-codes.test.ts checks that every code used in the sources is listed.
 *
 * Ranges: 0xxx command line, 1xxx ONNX frontend, 2xxx IR syntax, 3xxx verifier, 4xxx passes, 5xxx plans, runtime
 * and backends, 6xxx parameters and security.
 */

export interface ErrorCodeInfo {
  /** What the code means, in a few words (also the reader's index into this file). */
  meaning: string;
  /** The general fix; a raise site may give a more specific one. */
  fix: string;
}

export const ERROR_CODES: Readonly<Record<string, ErrorCodeInfo>> = {
  // 0xxx: the command line
  HEC0001: { meaning: 'missing or unknown command or argument', fix: "see 'hec --help' and 'hec COMMAND --help'" },
  HEC0002: { meaning: 'unknown option', fix: "see 'hec COMMAND --help' for the options of each command" },
  HEC0003: { meaning: 'an option value that is not valid', fix: "see 'hec COMMAND --help' for what each option accepts" },
  HEC0004: { meaning: 'an input file that is missing or not a file', fix: 'check the path' },
  HEC0005: { meaning: 'a prompt the model cannot take (vocabulary)', fix: 'pass --tokens with ids of the model\'s vocabulary' },
  HEC0006: { meaning: 'an option that does not apply here (compile options beside a compiled plan, --layers)', fix: 'drop the option, or compile again with it' },
  HEC0007: { meaning: 'more positional arguments than the command takes', fix: 'quote arguments that contain spaces' },
  HEC0008: { meaning: 'prompt and new tokens exceed the plan\'s context', fix: 'shorten the prompt, lower --max-new-tokens, or compile with a larger --max-context' },
  HEC0009: { meaning: 'the output file cannot be written', fix: 'choose a writable output path that is not one of the inputs' },
  HEC0120: { meaning: 'unknown KV-cache policy (hec eval --kv-policy)', fix: 'use one of: full, streaming, mpcache-static, mpcache' },
  HEC0121: { meaning: 'a KV-cache policy parameter out of range (hec eval)', fix: "see 'hec eval --help' for each parameter's range" },
  HEC0122: { meaning: 'a passkey file hec eval cannot read', fix: 'pass a JSON file {"documents": [{"prompt_bytes": [...], "key": "..."}]} such as llama-recall.passkey.json' },
  HEC0123: { meaning: 'hec eval has nothing (or too little) to measure', fix: 'pass --passkey FILE and/or --text FILE with at least one --context window' },
  // 1xxx: ONNX frontend
  HEC1001: { meaning: 'the model file cannot be read', fix: 'check the path to the .onnx model' },
  HEC1002: { meaning: 'not an ONNX model, or truncated', fix: 'pass an .onnx file exported with torch.onnx.export (decoder with past_key_values)' },
  HEC1003: { meaning: 'ONNX opset too old', fix: 're-export with torch.onnx.export(..., opset_version=17) or newer' },
  HEC1004: { meaning: 'tensor data missing, truncated or inconsistent', fix: 'the model or its external data file is truncated or damaged; re-export it' },
  HEC1005: { meaning: 'tensor data type hec does not read', fix: 'export the model in float32' },
  HEC1006: { meaning: 'external data outside the model\'s folder, or not a file', fix: 'ONNX external data must be a relative path inside the model\'s folder; re-export the model' },
  HEC1007: { meaning: 'negative or non-integer tensor dimensions', fix: 'the model file is damaged or was written by a broken exporter; re-export it' },
  HEC1010: { meaning: 'an op hec does not support on the path to the outputs', fix: 'export a Llama decoder (MatMul/Gemm, RMSNorm, rotary, softmax attention, SwiGLU)' },
  HEC1011: { meaning: 'graph not topologically sorted, or an input nobody produces', fix: 're-export the model; ONNX requires nodes in topological order' },
  HEC1020: { meaning: 'the graph does not have the Llama structure hec recognises', fix: 'export a Llama decoder-with-past (torch.onnx or Optimum); the message names the node where the structure broke' },
  HEC1021: { meaning: 'not a decoder-with-past export (KV-cache inputs/outputs)', fix: 'export with past_key_values inputs and present outputs (use_cache=True)' },
  HEC1022: { meaning: 'attention shape hec cannot lower (head dims, scale, per-layer config)', fix: 'export a standard Llama attention (equal head dims, scale 1/√head_dim, one config for every layer)' },
  HEC1023: { meaning: 'rotary embedding hec does not recognise (scaled RoPE, missing θ)', fix: 'export with plain rotary embeddings (no rope scaling) and keep the weight file beside the model' },
  HEC1030: { meaning: 'a weight has no data (graph-only model)', fix: 'keep the external weight file (.onnx.data) next to the model to run it' },
  HEC1031: { meaning: 'token id outside the vocabulary', fix: 'use token ids below the model\'s vocabulary size' },
  HEC1040: { meaning: 'calibration file unreadable or malformed', fix: 'a calibration file holds bytes (byte-level models) or one line of decimal token ids per sequence' },
  // 2xxx: IR text syntax
  HEC2001: { meaning: 'IR syntax error', fix: 'the file is not valid hec IR at the position shown; plans are written by hec compile, not by hand' },
  HEC2002: { meaning: 'IR lexical error', fix: 'remove the characters shown; plans are written by hec compile, not by hand' },
  HEC2003: { meaning: 'IR version this hec cannot read', fix: 'recompile with this version of hec' },
  HEC2004: { meaning: 'IR value used without a definition', fix: 'define the value before its use' },
  HEC2005: { meaning: 'IR name defined twice', fix: 'rename one of the two definitions' },
  HEC2006: { meaning: 'malformed IR op name', fix: 'op names are dialect.name in lowercase (see ir/README.md)' },
  HEC2007: { meaning: 'malformed IR type', fix: 'see the type grammar in ir/README.md' },
  HEC2008: { meaning: 'malformed IR number', fix: 'write an integer where the grammar needs one (see ir/README.md)' },
  HEC2009: { meaning: 'attribute key repeated in one dictionary', fix: 'keep one entry per key' },
  HEC2010: { meaning: 'unknown layout kind', fix: 'see the layout kinds in ir/README.md' },
  HEC2011: { meaning: 'malformed layout fields', fix: 'see the layout fields in ir/README.md' },
  HEC2012: { meaning: 'result names and result types differ in number', fix: 'give one type per result' },
  // 3xxx: verifier
  HEC3001: { meaning: 'op typing rule violated', fix: 'a pass produced an ill-typed op: report it with the plan or model' },
  HEC3002: { meaning: 'op not in the catalogue', fix: 'see the op table in ir/README.md' },
  HEC3003: { meaning: 'value name defined twice', fix: 'each %name is defined once per function' },
  HEC3004: { meaning: 'function argument without a valid role', fix: 'give every argument role = "input" or "state" (with state = "<name>")' },
  HEC3005: { meaning: 'wrong number of operands or results', fix: 'see the op table in ir/README.md' },
  HEC3006: { meaning: 'value used before its definition', fix: 'define each value before its first use' },
  HEC3007: { meaning: 'declared result type differs from the inferred one', fix: 'the plan was edited or a pass is wrong: recompile it with hec compile' },
  HEC3008: { meaning: 'value without a level', fix: 'run bootstrap-placement' },
  HEC3009: { meaning: 'value at a negative level', fix: 'bootstrap earlier' },
  HEC3010: { meaning: 'ckks.return missing or not last', fix: 'end each function with exactly one ckks.return' },
  HEC3011: { meaning: 'KV-cache state not returned at its entry type', fix: 'the next step reads the state back: return it at the level and layout it enters with' },
  HEC3020: { meaning: 'cycle in the dataflow graph', fix: 'a value cannot depend on itself within one step' },
  // 4xxx: lowering and passes
  HEC4001: { meaning: 'the model does not fit the parameters\' slots', fix: 'choose a preset with a larger ring degree (e.g. N16_BOOT_DENSE) or a smaller --max-context' },
  HEC4002: { meaning: 'attention shape the lowering does not support', fix: 'query heads must be a multiple of KV heads and the head dim even (rotary pairs features)' },
  HEC4003: { meaning: 'a structure the lowering does not support yet (biases)', fix: 'export the model without attention/MLP bias (Llama has none)' },
  HEC4004: { meaning: 'no packing accepts a tensor op of the model', fix: 'use --packing auto, or a packing that supports this op (hec passes lists them)' },
  HEC4101: { meaning: 'a non-linear function without a usable domain', fix: 'calibrate the model (or pass --calibration FILE) so every non-linear input has a valid range' },
  HEC4102: { meaning: 'no polynomial approximation reaches the tolerance on the domain', fix: 'use a preset with more levels between bootstraps, or a smaller --max-context' },
  HEC4103: { meaning: 'non-linear function poly-approx does not know', fix: 'report it: the lowering emitted a function without an approximation' },
  HEC4201: { meaning: 'bootstrap-placement before poly-approx', fix: 'run poly-approx first' },
  HEC4202: { meaning: 'the model needs bootstraps but the parameters cannot bootstrap', fix: 'use a bootstrapping preset such as N16_BOOT_DENSE, or a shallower model' },
  HEC4203: { meaning: 'an op needs more levels than the parameters provide', fix: 'use a preset with more levels (after bootstrapping, where it bootstraps)' },
  HEC4401: { meaning: 'a pass needs the result of a pass that has not run', fix: 'put the pass it needs earlier in the pipeline (hec passes lists the order)' },
  HEC4402: { meaning: 'unknown or mistyped pass option', fix: 'hec passes lists each pass\'s options with their types and defaults' },
  HEC4403: { meaning: 'a pass left invalid IR (--verify-each)', fix: 'a bug in that pass: rerun with --print-ir-after PASS to see its output' },
  HEC4404: { meaning: 'malformed pipeline text or unknown pass', fix: 'write passes as name or name{key=value ...}, separated by commas (hec passes lists them)' },
  HEC4701: { meaning: 'a cost table that cannot be read or is malformed', fix: 'write the table with `hec bench ops --json > FILE`, or omit --cost-table to use the bundled one' },
  HEC4301: { meaning: 'the plan failed its final validation', fix: 'report it with the model and options: the passes produced an invalid plan' },
  // 5xxx: plans, runtime, backends
  HEC5001: { meaning: 'not a hec plan', fix: 'pass a file written by hec compile' },
  HEC5002: { meaning: 'plan truncated, edited or corrupted (checksum)', fix: 'recompile it with hec compile' },
  HEC5003: { meaning: 'plan header missing or inconsistent', fix: 'recompile the plan with this version of hec' },
  HEC5004: { meaning: 'plan format version this hec cannot read', fix: 'recompile the model with this version of hec' },
  HEC5005: { meaning: 'plan file cannot be read', fix: 'check the path and permissions of the plan file' },
  HEC5010: { meaning: 'malformed plaintext source in a plan', fix: 'recompile the plan with this version of hec' },
  HEC5020: { meaning: 'polynomial that cannot be evaluated at this scale', fix: 'recompile the plan; its approximation is not representable at the parameters\' scale' },
  HEC5030: { meaning: 'the plan\'s model or weights are missing', fix: 'place the model and its .onnx.data file where the plan expects them, or pass --model FILE' },
  HEC5031: { meaning: 'a weight or argument the plan needs is missing', fix: 'recompile the plan for this model' },
  HEC5032: { meaning: 'op the executor cannot run', fix: 'compile the plan fully (hec compile) before running it' },
  HEC5033: { meaning: 'the model is not the one the plan was compiled from', fix: 'recompile the plan for this model, or pass --model with the model it was compiled from' },
  HEC5034: { meaning: 'a weight file is not the one the plan was compiled with', fix: 'restore the weight file the plan was compiled with, or recompile the plan' },
  HEC5040: { meaning: 'token id outside the vocabulary', fix: 'use token ids below the model\'s vocabulary size' },
  HEC5041: { meaning: 'position beyond the plan\'s KV-cache capacity', fix: 'compile with a larger --max-context' },
  HEC5101: { meaning: 'operand level mismatch', fix: 'the plan and the backend disagree on levels: recompile the plan with this hec' },
  HEC5102: { meaning: 'operand scale mismatch', fix: 'the plan and the backend disagree on scales: recompile the plan with this hec' },
  HEC5103: { meaning: 'level underflow or level out of range', fix: 'the plan runs out of levels: recompile it (bootstrap-placement) with this hec' },
  HEC5104: { meaning: 'scale or magnitude overflow (CKKS wrap-around)', fix: 'the values exceed what the modulus holds: recompile with calibration data closer to the use (--calibration FILE)' },
  HEC5105: { meaning: 'cannot bootstrap on this backend or with these parameters', fix: 'use a backend and preset that bootstrap (cpu or sim, N16_BOOT_DENSE)' },
  HEC5106: { meaning: 'bootstrap input out of range', fix: 'the input left the calibrated range: recompile with calibration data closer to the use (--calibration FILE, more --calibration-tokens)' },
  HEC5107: { meaning: 'value freed, used after dispose, or from another backend', fix: 'a bug in the caller: use each value only with the backend and session that made it' },
  HEC5108: { meaning: 'malformed bytes or parameter mismatch between client and server', fix: 'send bytes produced by the same backend and parameters' },
  HEC5109: { meaning: 'missing evaluation key', fix: 'the plan lists every key it needs: recompile it with this hec' },
  HEC5110: { meaning: 'invalid argument to a backend operation', fix: 'a bug in the caller: pass finite constants, positive scales and full slot vectors' },
  HEC5111: { meaning: 'scale underflow', fix: 'the scale fell below what encoding noise allows: recompile the plan with this hec' },
  HEC5112: { meaning: 'operation impossible on this backend', fix: 'use another backend (hec backends lists them)' },
  HEC5113: { meaning: 'evaluation-key parts missing, repeated, reordered or foreign', fix: 'send every key part of one key set once, in order' },
  HEC5114: { meaning: 'polynomial input outside its approximation domain (sim only: real engines return a wrong value)', fix: 'the input left a calibrated domain: recompile with calibration data closer to the use (--calibration FILE, more --calibration-tokens)' },
  // 53xx: hec serve and hec run --server (runtime/server/errors.ts adds each code's HTTP status)
  HEC5300: { meaning: 'Anything unexpected while serving (a bug in hec); the server logs it and keeps serving', fix: 'report it with the server log line of this request (request id)' },
  HEC5301: { meaning: 'Malformed request: bad JSON, missing field, unknown route or method', fix: 'send the request hec run --server sends (see runtime/server/README.md)' },
  HEC5302: { meaning: 'Unknown session, or a token that does not open it: the same answer for both, so a guess learns nothing', fix: 'use the session id and bearer token the server returned when the session was created' },
  HEC5303: { meaning: 'Body larger than the route allows', fix: 'send one evaluation-key part or one ciphertext per request; raise the server\'s --max-body-mib if parts are larger' },
  HEC5304: { meaning: 'Step queue full, or a step waited longer than the queue timeout', fix: 'retry after the Retry-After seconds (hec run --server does)' },
  HEC5305: { meaning: 'Session limit reached', fix: 'close finished sessions, or start the server with a larger --max-sessions' },
  HEC5306: { meaning: 'A frame (ciphertexts in a binary envelope) is malformed or fails its checksum', fix: 'send frames made by runtime/server/protocol.ts' },
  HEC5307: { meaning: 'A frame made for another session', fix: 'encrypt and frame each token for the session it is sent to' },
  HEC5308: { meaning: 'The client\'s plan, parameters or backend differ from the server\'s', fix: 'run the client with the plan (and backend) the server serves' },
  HEC5309: { meaning: 'A step out of sequence (a step number neither next nor the last one answered)', fix: 'continue from the position GET /v1/sessions/ID reports' },
  HEC5310: { meaning: 'The session\'s keys or initial cache have not all arrived', fix: 'upload every evaluation-key part, then POST /v1/sessions/ID/start' },
  HEC5311: { meaning: 'Session files on disk fail their checksums: the session is not loaded', fix: 'the session cannot be resumed; close it and start a new one (its files stay in --data-dir for inspection)' },
  HEC5312: { meaning: 'The request took too long to arrive', fix: 'retry on a faster connection, or raise the server\'s --request-timeout-s' },
  HEC5313: { meaning: 'Client side: the server is unreachable or answered something that is not the protocol', fix: 'check the --server URL and that `hec serve` is running (GET /health answers 200 when ready)' },
  HEC5314: { meaning: 'Client side: the key directory does not fit the plan, or the secret-key file is unsafe or unreadable', fix: 'run hec keygen PLAN -o DIR for this plan, and keep DIR/secret.key mode 0600' },
  HEC5201: { meaning: 'no backend could be loaded', fix: 'see hec backends for why each is unavailable' },
  HEC5202: { meaning: 'unknown backend name', fix: 'use one of the names hec backends lists, or auto' },
  // 6xxx: parameters and security
  HEC6001: { meaning: 'invalid CKKS parameters', fix: 'pick a preset (ir/presets.ts) or correct the field named' },
  HEC6002: { meaning: 'unknown parameter preset', fix: 'use a preset listed by hec compile --help' },
  HEC6003: { meaning: 'no NTT-friendly primes of the requested size', fix: 'choose other prime sizes or a smaller ring degree' },
  HEC6004: { meaning: 'insecure parameters without --allow-insecure', fix: 'pass --allow-insecure (tests only) or pick a secure preset' },
  HEC6005: { meaning: 'parameters that claim security but are not 128-bit secure', fix: 'use a dense secret, a published sparse weight within its bound, fewer or smaller primes, or a TEST_INSECURE_* preset in tests' },
  HEC6007: { meaning: 'secret key file does not match the parameters\' secret distribution', fix: 'use the secret key generated for these parameters, or generate a new one' },
};

/** The catalogue's fix for `code`, if it is listed. */
export function defaultFix(code: string): string | undefined {
  return ERROR_CODES[code]?.fix;
}
