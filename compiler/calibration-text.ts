/**
 * @fileoverview Built-in calibration text for byte-level models (vocabulary 256): a mix of English prose and code in
 * several languages, written for hec. It is generic on purpose: calibration must cover the inputs users bring, not
 * the test prompts (compile on a representative file of your own with `--calibration FILE`).
 */
export const CALIBRATION_TEXTS: readonly string[] = [
  'The committee met on Tuesday to review the budget. After a long discussion, they agreed to postpone the decision until more data was available.',
  'import os\nimport sys\n\ndef main(argv):\n    for name in sorted(os.listdir(argv[1])):\n        if name.endswith(".txt"):\n            print(name)\n    return 0\n',
  'class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n        self.items.append(item)\n\n    def pop(self):\n        return self.items.pop()\n',
  'function sum(xs) {\n  let total = 0;\n  for (const x of xs) total += x;\n  return total;\n}\nconsole.log(sum([1, 2, 3]));\n',
  '#include <stdio.h>\nint main(void) {\n    int i;\n    for (i = 0; i < 10; i++) printf("%d\\n", i * i);\n    return 0;\n}\n',
  'SELECT name, COUNT(*) AS n FROM orders WHERE created_at > \'2024-01-01\' GROUP BY name ORDER BY n DESC LIMIT 10;',
  '    try:\n        value = int(text)\n    except ValueError as exc:\n        raise RuntimeError("bad input: %r" % text) from exc\n    else:\n        return value * 2\n',
  'Numbers: 3.14159, 2.71828, 1.41421; dates: 1999-12-31, 2025-06-01. Symbols: {[()]} <> | & ^ ~ @ # $ % * + = - _ / \\ ? ! ; : , .',
];
