"""Deterministic tokenizer test strings for the golden fixtures.

`golden_cases()` returns a list of (text, add_special, parse_special) tuples.
Everything here is fixed text or derived with a seeded `random.Random`, so the
list is identical on every run (and therefore so is tests/golden/tokens.json).
Used by scripts/dump_golden.py.
"""

from __future__ import annotations

import random

SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]

ENGLISH = [
    "Hello world",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "A journey of a thousand miles begins with a single step.",
    "To be, or not to be: that is the question.",
    "It was the best of times, it was the worst of times.",
    "In 1492, Columbus sailed the ocean blue.",
    "Machine learning models are trained on large datasets.",
    "She sells sea shells by the sea shore.",
    "Why? Because I said so!",
    "Mr. Smith went to Washington D.C. on Jan. 5th.",
    "e.g. i.e. etc. vs. a.m. p.m.",
    "HELLO WORLD IN ALL CAPS",
    "camelCaseIdentifier and snake_case_identifier and kebab-case-identifier",
    "supercalifragilisticexpialidocious",
    "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "The U.S.A. and the U.K. signed the treaty.",
    "Email me at john.doe@example.com or visit https://example.org/path?q=1&r=2#frag",
    "C:\\Users\\Public\\Documents\\file.txt",
    "/usr/local/bin/python3 --version",
    "Once upon a time, in a land far, far away, there lived a king.",
    "What is the capital of France?",
    "Write a short poem about the ocean.",
    "Please summarize the following paragraph in one sentence.",
    "a",
    "I",
    " a",
    "Z",
    "ab",
    "abc abc abc abc",
]

CONTRACTIONS = [
    "don't",
    "Don't",
    "DON'T",
    "I'M",
    "I'm",
    "i'm",
    "we'll",
    "We'LL",
    "they've",
    "THEY'VE",
    "she'd",
    "it's",
    "IT'S",
    "you're",
    "YOU'RE",
    "won't can't shouldn't wouldn't",
    "I'd've",
    "y'all'd've",
    "'s 't 're 've 'm 'll 'd",
    "rock 'n' roll",
    "the dog's bone and the dogs' bones",
    "O'Brien's pub",
    "don\u2019t (curly apostrophe)",
]

UNICODE = [
    "你好，世界！",
    "我爱自然语言处理。",
    "中文和English混合的句子",
    "日本語のテキストです。",
    "こんにちは、元気ですか？",
    "カタカナとひらがなと漢字",
    "안녕하세요, 세계!",
    "한국어 문장입니다.",
    "مرحبا بالعالم",
    "اللغة العربية جميلة جداً",
    "שלום עולם",
    "עברית כתובה מימין לשמאל",
    "नमस्ते दुनिया",
    "हिन्दी में एक वाक्य।",
    "สวัสดีชาวโลก",
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ",
    "Привет, мир!",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Γειά σου Κόσμε",
    "Ελληνικά: αβγδεζηθικλμνξοπρστυφχψω ΑΒΓΔ",
    "café naïve résumé façade jalapeño",
    "Ångström, Müller, Øresund, Łódź, Şişli, Ğ",
    "cafe\u0301 (combining acute)",
    "n\u0303 a\u0308 o\u0302 e\u0300 u\u030a",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dalgo text",
    "ﬁ ﬂ ligatures and ẞ ß",
    "Tiếng Việt có dấu",
    "Ελληνικά και English και русский",
    "ሰላም ልዑል (Amharic)",
    "გამარჯობა (Georgian)",
    "Բարեւ (Armenian)",
    "ᚠᚢᚦᚨᚱᚲ (runic)",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝒔𝒄𝒓𝒊𝒑𝒕",
    "∀x ∈ ℝ: x² ≥ 0 ∧ √4 = 2 ∑ ∫ ∞ ≠ ≈",
    "½ ¾ ⅓ ① ② ③ Ⅷ Ⅻ",
    "٠١٢٣٤٥٦٧٨٩ (Arabic-Indic digits)",
    "१२३४५ (Devanagari digits)",
    "１２３ＡＢＣ fullwidth",
    "\u00a0non-breaking\u00a0spaces\u00a0",
    "zero\u200bwidth\u200bspace",
    "soft\u00adhyphen",
    "\u3000ideographic space\u3000",
    "\ufeffBOM at start",
    "right-to-left mark \u200f and left-to-right mark \u200e",
    "€100 £50 ¥1000 ₹500 ₿0.1",
    "«guillemets» „Anführungszeichen“ “smart quotes” ‘single’",
    "—em dash– en dash… ellipsis",
]

EMOJI = [
    "😀",
    "😀😃😄😁😆",
    "I love pizza 🍕!",
    "👍",
    "👍🏻👍🏼👍🏽👍🏾👍🏿",
    "👨‍👩‍👧‍👦",
    "👩‍💻 coding",
    "🏳️‍🌈",
    "🏴‍☠️",
    "❤️",
    "❤️‍🔥",
    "🇺🇸🇫🇷🇯🇵",
    "🧑🏽‍🚀 astronaut",
    "✨🎉🎊",
    "emoji🙂in🙂between",
    "#️⃣ 1️⃣ *️⃣",
    "☺ ☹ ♥ ★ ☆ ✓ ✗",
    "🤷‍♂️🤦‍♀️",
]

NUMBERS = [
    "0",
    "7",
    "42",
    "123",
    "1234",
    "123456789",
    "1234567890123456789012345678901234567890",
    "3.14159",
    "2.718281828459045",
    "-1.5e-10",
    "1,000,000",
    "1.000.000,50",
    "2024-01-01",
    "12:34:56",
    "2024-01-01T12:34:56Z",
    "+1 (555) 123-4567",
    "0x1F 0xDEADBEEF 0b1010 0o777",
    "version 1.2.3-beta.4",
    "v2.0",
    "100%",
    "$19.99",
    "1st 2nd 3rd 4th 21st",
    "10^6 = 1000000",
    "3/4 + 1/4 = 1",
    "a1b2c3d4",
    "Room 101, Floor 7",
    " 123",
    "  456",
    "x=1;y=22;z=333",
    "192.168.0.1:8080",
]

WHITESPACE = [
    "",
    " ",
    "  ",
    "   ",
    "    ",
    "        ",
    "\t",
    "\t\t",
    "\n",
    "\n\n",
    "\n\n\n",
    "\r\n",
    " \n ",
    " \n",
    "\n ",
    "\t \n \t",
    "\n\n\nHello",
    "Hello\n\n\n",
    "Hello ",
    "Hello  ",
    "Hello   ",
    " Hello",
    "  Hello",
    "   Hello",
    "\tHello",
    "\nHello",
    "Hello\nworld",
    "Hello\n\nworld",
    "Hello \nworld",
    "Hello\n world",
    "Hello  world",
    "Hello   world",
    "Hello\tworld",
    "Hello \t world",
    "  leading and trailing  ",
    "line1\nline2\nline3\n",
    "a \n\n b",
    "\n \n \n",
    "word\r\nword\r\n",
    "  \n  \n  x",
    "end with tab\t",
    "mixed \u00a0 \u2003 spaces",
    " ! ",
    "a  b   c    d     e",
]

CODE = [
    "def hello():\n    print(\"Hello, world!\")\n",
    "for i in range(10):\n\tif i % 2 == 0:\n\t\tcontinue\n",
    "import numpy as np\nx = np.zeros((3, 4), dtype=np.float32)\n",
    "class Foo(Bar):\n    def __init__(self, x: int = 0) -> None:\n        self.x = x\n",
    "lambda x, y: x ** 2 + y // 3",
    "#include <iostream>\nint main() {\n    std::cout << \"Hi\" << std::endl;\n    return 0;\n}\n",
    "template <typename T>\nconstexpr T add(T a, T b) noexcept { return a + b; }",
    "std::vector<std::unique_ptr<Node>> nodes; nodes.emplace_back(std::make_unique<Node>());",
    "if (a != b && c <= d || !e) { x += 1; y -= 2; z *= 3; }",
    "int* p = &x; p->y = **q; a[i] = b[j++];",
    "{\"name\": \"skim\", \"version\": 1, \"tags\": [\"a\", \"b\"], \"ok\": true, \"n\": null}",
    "{\n  \"key\": \"value\",\n  \"nested\": {\"a\": [1, 2, 3]}\n}",
    "<!DOCTYPE html>\n<html>\n<head><title>Test</title></head>\n<body><p class=\"x\">Hi &amp; bye</p></body>\n</html>",
    "<div id=\"main\" style=\"color: red;\">&lt;tag&gt;</div>",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
    "const f = async (x) => { await g(x); return `${x}!`; };",
    "fn main() { let v: Vec<u8> = vec![1, 2, 3]; println!(\"{:?}\", v); }",
    "$ git commit -m \"fix: handle edge case\" && git push origin main",
    "x = [i**2 for i in range(5) if i != 3]  # squares",
    "/* block comment */ // line comment",
    "    indented four\n        indented eight\n",
    "\tdef f():\n\t\treturn 1\n",
    "a==b!=c<=d>=e<<f>>g&&h||i",
    "::std::ranges::views::iota(0, 10)",
    "@decorator\ndef f(*args, **kwargs): ...",
    "```python\nprint('hi')\n```",
    "| col1 | col2 |\n|------|------|\n| a    | b    |",
    "# Heading\n\n- item 1\n- item 2\n\n**bold** _italic_ `code`",
    "\\documentclass{article}\n\\begin{equation} E = mc^2 \\end{equation}",
    "key1=value1\nkey2 = value2\n[section]\n",
]

PUNCT = [
    "!!!",
    "???",
    "...",
    "?!?!",
    "!?",
    "---",
    "***",
    "===",
    "~~~",
    "___",
    "((()))",
    "[[[]]]",
    "{{{}}}",
    "<<<>>>",
    "\"\"\"",
    "'''",
    "```",
    "@#$%^&*()",
    ".,;:!?",
    "-_-",
    ":-) ;-) :-(",
    "a.b.c.d",
    "hello...world",
    "wait---what",
    "'quoted'",
    "\"double quoted\"",
    "(parenthetical)",
    "!hello",
    " !!! ",
    "''''",
    "'s",
    "'",
    "\\",
    "\\n is not a newline",
]

SPECIAL_TEXTS = [
    "<|im_start|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|im_start|>user\nHello!<|im_end|>\n",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "text before<|endoftext|>text after",
    "<|im_end|><|im_start|>",
    "<|im_start|><|im_start|><|im_start|>",
    " <|im_start|> spaced <|im_end|> ",
    "<|im_start|>assistant\nSure, here you go.<|im_end|>",
    "Hello<|im_end|>",
    "<|endoftext|>Hello",
    "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>user\n\n\n<|im_end|>",
    "<|im_start",
    "im_start|>",
    "<|im_start |>",
    "<|IM_START|>",
    "<|unknown_special|>",
    "<|im_start|>user\ncode: `x = 1`<|im_end|>\n",
]


def _derived(rng: random.Random) -> list[str]:
    """Seeded combinations of pieces from the lists above."""
    words = [
        "the", "model", "token", "Hello", "world", "skim", "LLM", "inference",
        "don't", "café", "你好", "Привет", "😀", "123", "3.14", "naïve",
        "THE", "Token", "x", "I'M", "—", "\u00e9", "ok", "42nd",
    ]
    seps = [" ", "  ", "\n", "\t", "", ", ", ". ", " \n", "\n\n", "-", "_", "/"]
    out: list[str] = []
    for _ in range(60):
        n = rng.randint(1, 8)
        parts = []
        for _k in range(n):
            parts.append(rng.choice(words))
            parts.append(rng.choice(seps))
        if rng.random() < 0.5:
            parts.pop()
        s = "".join(parts)
        if rng.random() < 0.2:
            s = " " * rng.randint(1, 3) + s
        out.append(s)
    # digit strings of every length 1..20 (the smollm pre-tokenizer splits digits)
    digits = "31415926535897932384626433832795"
    for n in range(1, 21):
        out.append(digits[:n])
    # whitespace runs of varying length before a word / at the end
    for n in range(1, 9):
        out.append(" " * n + "x")
        out.append("x" + " " * n)
        out.append("x" + "\n" * n + "y")
    # random printable-ASCII strings
    ascii_chars = "".join(chr(c) for c in range(32, 127))
    for _ in range(20):
        n = rng.randint(1, 40)
        out.append("".join(rng.choice(ascii_chars) for _ in range(n)))
    # random mixes of code points from several scripts
    pools = [
        "abcdefghijklmnopqrstuvwxyz ",
        "αβγδεζηθικλμνξοπρστυφχψω",
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "的一是不了人我在有他这中大来上国个到说们为子和你",
        "あいうえおかきくけこアイウエオ",
        "가나다라마바사아자차카타파하",
        "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
        "😀🎉👍🏽❤️🙂",
        "0123456789",
        " \t\n",
        ".,!?;:'\"()-",
    ]
    for _ in range(20):
        n = rng.randint(1, 25)
        s = "".join(rng.choice(rng.choice(pools)) for _ in range(n))
        out.append(s)
    return out


def golden_cases() -> list[tuple[str, bool, bool]]:
    rng = random.Random(20240101)
    cases: list[tuple[str, bool, bool]] = []
    seen: set[tuple[str, bool, bool]] = set()

    def add(text: str, add_special: bool, parse_special: bool) -> None:
        key = (text, add_special, parse_special)
        if key not in seen:
            seen.add(key)
            cases.append(key)

    flag_cycle = [(False, False), (True, False), (False, True), (True, True)]
    groups = [ENGLISH, CONTRACTIONS, UNICODE, EMOJI, NUMBERS, WHITESPACE, CODE, PUNCT]
    k = 0
    for group in groups:
        for text in group:
            add(text, False, False)
            # every 4th string also gets another flag combination
            if k % 4 == 0:
                a, p = flag_cycle[(k // 4) % 4]
                add(text, a, p)
            k += 1
    # the empty string and a plain sentence under all four flag combinations
    for text in ["", "Hello world", " "]:
        for a, p in flag_cycle:
            add(text, a, p)
    # special tokens embedded in text: all four combinations
    for text in SPECIAL_TEXTS:
        for a, p in flag_cycle:
            add(text, a, p)
    for text in _derived(rng):
        add(text, False, False)
    return cases


if __name__ == "__main__":
    cs = golden_cases()
    print(len(cs), "cases")
