"""Finding a returning guest however the name was typed.

Write time (``terms.py``): every name field, the email and the phone of a
customer become normalized *search terms* in ``SearchTerm`` (one row per term,
btree-indexed by organization and term): simplified Han, its suffixes (the inner ones, 丽 of 郝光丽, of
a kind of their own, after the given names) and its family name alone, pinyin without tones in both
orders (with the family-name reading too: 曾 → zeng as well as ceng; ü as lv, lu and lyu) and the whole name with its
tones, family name first (张伟 → zha1ngwe3i), Latin folded to ASCII (José → jose, Müller → muller and mueller,
O'Connor → oconnor and connor), a phonetic key per Latin word (metaphone), the
email and its local part, and the phone's digits reversed (so "the last four
digits" is a prefix); and PREFIX rows, "^" + the first one to four letters of each name term and email, so that
a short prefix's most recent holders come straight from the index. Converting costs ~40 µs a name: done once per write,
never per search (NOTES.md). The same writes keep the vocabulary of name words
(``NameWord``: each folded word, how many guests hold it) in step.

Search time (the ``search`` package: ``query``, ``statements``, ``scores``): the
query is analyzed into the same kinds of variants, plus nickname expansions (Bob → Robert from a maintained table) and
the typed tones (Zhāng Wěi → zha1ngwe3i, matched by the toned whole name);
candidates come from the term index, which orders each term's rows by kind
and last visit (a surname of 60,000 guests reads its 20 most recent), from
a short prefix's PREFIX rows, longer prefix ranges (a common one walks the holders of
its first four letters, most recent first), and for a
surname with a given name being typed from a walk of the surname's holders. Several words are first read joined,
as a whole name or its start (every guest holds their whole name in both orders): "zhao huiy" is the start of
zhaohuiying, and when a whole name is or starts with the typed words, the words are not read one by one (a guest
whose words lie apart, a middle name between them, is found only when no whole name matches). When no guest matches
every word as typed (a guess by sound does not count), or a typed word is held by no guest, a typo
stage corrects each typed word against the organization's vocabulary of name
words (``vocabulary.py``: each word with its deletions, symmetric delete; one
statement) within one or two edits, Damerau-Levenshtein, tries the corrected words joined as whole names (one index
probe each), and only when none is a guest's searches the corrected words one by one, scored below an exact match.
Candidates are ranked in Python.
"""
