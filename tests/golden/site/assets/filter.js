/* runreport site: the run filter, mirroring runreport.search (tokens.py, parser.py,
   targets.py, predicates.py) for metrics./params./tags./attribute comparisons joined by AND
   (OR and parentheses work too, as in runreport's Python search).

   runreportFilter.compile(text) returns a predicate taking a getter
   get(entity, key) -> value or undefined (entity: "metric", "param", "tag", "attribute"),
   or throws {reason, position}. Match rules are MLflow's: a missing value never matches
   (not even !=) except IS NULL; "=" is case-sensitive; LIKE is case-sensitive, ILIKE is not,
   "%" is any run of characters and "_" any one character. */
(function () {
  "use strict";

  var KEYWORDS = ["AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC"];
  var COMPARATORS = ["<=", ">=", "!=", "<>", "==", "=", "<", ">"];
  var NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
  var NUMBER_TAIL = /[\p{L}\p{N}_.]*/uy;
  var WORD = /[\p{L}_][\p{L}\p{N}_]*/uy;
  var BARE_KEY = /[\p{L}\p{N}_.]+/uy;
  var PREFIXES = {
    metric: "metric", metrics: "metric",
    param: "param", params: "param", parameter: "param", parameters: "param",
    tag: "tag", tags: "tag",
    attribute: "attribute", attributes: "attribute", attr: "attribute", run: "attribute",
  };
  var NUMERIC = ["=", "!=", "<", "<=", ">", ">="];
  var STRING = ["=", "!=", "LIKE", "ILIKE"];
  var RULES = {
    metric: { kind: "number", comparators: NUMERIC },
    param: { kind: "string", comparators: STRING.concat(["IS NULL", "IS NOT NULL"]) },
    tag: { kind: "string", comparators: STRING.concat(["IS NULL", "IS NOT NULL"]) },
  };
  var ATTRIBUTE_RULES = {
    run_id: { kind: "string", comparators: STRING.concat(["IN", "NOT IN"]) },
    run_name: { kind: "string", comparators: STRING },
    status: { kind: "string", comparators: STRING },
    user_id: { kind: "string", comparators: STRING },
    artifact_uri: { kind: "string", comparators: STRING },
    start_time: { kind: "number", comparators: NUMERIC },
    end_time: { kind: "number", comparators: NUMERIC },
  };
  var ATTRIBUTES = {
    run_id: "run_id", run_name: "run_name", status: "status", user_id: "user_id",
    artifact_uri: "artifact_uri", "run name": "run_name", "Run name": "run_name",
    "Run Name": "run_name", start_time: "start_time", created: "start_time",
    Created: "start_time", end_time: "end_time",
  };

  function FilterError(reason, position) {
    this.reason = reason;
    this.position = position;
    this.message = reason;
  }

  function isSpace(ch) { return /\s/.test(ch); }

  function readQuoted(text, start) {
    var quote = text[start];
    var chars = [];
    var i = start + 1;
    while (i < text.length) {
      var ch = text[i];
      if (ch === "\\" && (text[i + 1] === quote || text[i + 1] === "\\")) {
        chars.push(text[i + 1]);
        i += 2;
      } else if (ch !== quote) {
        chars.push(ch);
        i += 1;
      } else if (text[i + 1] === quote) {
        chars.push(quote);
        i += 2;
      } else {
        return [chars.join(""), i + 1];
      }
    }
    throw new FilterError("the " + quote + " opened here is never closed; add a closing " + quote, start);
  }

  function sticky(re, text, pos) {
    re.lastIndex = pos;
    var m = re.exec(text);
    return m && m.index === pos ? m[0] : null;
  }

  function nextToken(text, pos) {
    var ch = text[pos];
    if (ch === "(") return { kind: "lparen", text: ch, pos: pos };
    if (ch === ")") return { kind: "rparen", text: ch, pos: pos };
    if (ch === ",") return { kind: "comma", text: ch, pos: pos };
    if (ch === "'" || ch === '"') {
      var q = readQuoted(text, pos);
      return { kind: "string", text: text.slice(pos, q[1]), pos: pos, value: q[0] };
    }
    if ("<>=!".indexOf(ch) >= 0) {
      for (var c = 0; c < COMPARATORS.length; c++) {
        if (text.startsWith(COMPARATORS[c], pos)) {
          return { kind: "comparator", text: COMPARATORS[c], pos: pos, value: COMPARATORS[c] };
        }
      }
      throw new FilterError("unexpected character '!'; did you mean '!='?", pos);
    }
    var number = sticky(NUMBER, text, pos);
    if (number !== null) {
      var tail = sticky(NUMBER_TAIL, text, pos + number.length) || "";
      if (tail.length) {
        throw new FilterError(JSON.stringify(number + tail) + " is not a valid number; write numbers like 3, -0.5 or 1e-3", pos);
      }
      var value = parseFloat(number);
      if (!Number.isFinite(value)) throw new FilterError("number " + number + " is out of range; use a finite number", pos);
      return { kind: "number", text: number, pos: pos, value: value };
    }
    if (ch === "`" || sticky(WORD, text, pos) !== null) return identifier(text, pos);
    throw new FilterError(
      "unexpected character " + JSON.stringify(ch) + "; a filter is made of fields (metrics.rmse), " +
      "comparators (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS), quoted strings, numbers, AND, OR and parentheses",
      pos
    );
  }

  function identifier(text, start) {
    var first, end;
    if (text[start] === "`") {
      var q = readQuoted(text, start);
      first = q[0];
      end = q[1];
    } else {
      first = sticky(WORD, text, start);
      end = start + first.length;
    }
    if (text[end] === ".") {
      var keyStart = end + 1;
      var key;
      if ("`\"'".indexOf(text[keyStart]) >= 0 && keyStart < text.length) {
        var k = readQuoted(text, keyStart);
        key = k[0];
        end = k[1];
      } else {
        key = sticky(BARE_KEY, text, keyStart);
        if (key === null) throw new FilterError("a key must follow the '.'; write e.g. metrics.rmse or metrics.`my metric`", keyStart);
        end = keyStart + key.length;
      }
      return { kind: "ident", text: text.slice(start, end), pos: start, value: [first, key] };
    }
    if (text[start] !== "`" && KEYWORDS.indexOf(first.toUpperCase()) >= 0) {
      return { kind: "keyword", text: first, pos: start, value: first.toUpperCase() };
    }
    return { kind: "ident", text: text.slice(start, end), pos: start, value: [null, first] };
  }

  function tokenize(text) {
    var tokens = [];
    var pos = 0;
    while (pos < text.length && isSpace(text[pos])) pos++;
    while (pos < text.length) {
      var token = nextToken(text, pos);
      tokens.push(token);
      pos += token.text.length;
      while (pos < text.length && isSpace(text[pos])) pos++;
    }
    tokens.push({ kind: "end", text: "", pos: text.length });
    return tokens;
  }

  function Parser(text) {
    this.tokens = tokenize(text);
    this.index = 0;
    this.depth = 0;
  }
  Parser.prototype.peek = function () { return this.tokens[this.index]; };
  Parser.prototype.advance = function () {
    var t = this.tokens[this.index];
    if (t.kind !== "end") this.index++;
    return t;
  };
  Parser.prototype.atKeyword = function (word) {
    var t = this.peek();
    return t.kind === "keyword" && t.value === word;
  };
  Parser.prototype.show = function (t) { return t.kind === "end" ? "the end of the filter" : JSON.stringify(t.text); };
  Parser.prototype.filter = function () {
    var node = this.or();
    var t = this.peek();
    if (t.kind === "rparen") throw new FilterError("this ')' has no matching '('", t.pos);
    if (t.kind !== "end") throw new FilterError("unexpected " + this.show(t) + "; expected AND, OR or the end of the filter", t.pos);
    return node;
  };
  Parser.prototype.or = function () {
    var items = [this.and()];
    while (this.atKeyword("OR")) { this.advance(); items.push(this.and()); }
    return items.length === 1 ? items[0] : { op: "or", items: items };
  };
  Parser.prototype.and = function () {
    var items = [this.atom()];
    while (this.atKeyword("AND")) { this.advance(); items.push(this.atom()); }
    return items.length === 1 ? items[0] : { op: "and", items: items };
  };
  Parser.prototype.atom = function () {
    var open = this.peek();
    if (open.kind !== "lparen") return this.comparison();
    if (this.depth >= 100) throw new FilterError("parentheses nest deeper than 100 levels", open.pos);
    this.depth++;
    this.advance();
    var node = this.or();
    var close = this.advance();
    if (close.kind !== "rparen") {
      throw new FilterError("expected ')' to close the '(' at position " + open.pos + ", got " + this.show(close), close.pos);
    }
    this.depth--;
    return node;
  };
  Parser.prototype.field = function (t) {
    var prefix, key;
    if (t.kind === "string" && t.text[0] === '"') { prefix = null; key = t.value; }
    else if (t.kind === "ident") { prefix = t.value[0]; key = t.value[1]; }
    else if (t.kind === "keyword" && t.value === "NOT") throw new FilterError("NOT is only allowed in NOT IN and IS NOT NULL", t.pos);
    else throw new FilterError("expected a field (metrics.<key>, params.<key> or tags.<key> or an attribute such as run_id), got " + this.show(t), t.pos);
    var entity = "attribute";
    if (prefix !== null) {
      if (prefix === "dataset" || prefix === "datasets") {
        throw new FilterError("'" + prefix + "' fields are not supported; runreport does not record dataset inputs", t.pos);
      }
      entity = Object.prototype.hasOwnProperty.call(PREFIXES, prefix) ? PREFIXES[prefix] : null;
      if (entity === null) throw new FilterError("prefix '" + prefix + "' is not valid for runs; use one of " + Object.keys(PREFIXES).join(", "), t.pos);
    }
    if (entity !== "attribute") {
      if (!key) throw new FilterError("the key after '" + prefix + "' is empty", t.pos);
      return [entity, key];
    }
    if (!Object.prototype.hasOwnProperty.call(ATTRIBUTES, key)) {
      throw new FilterError("attribute '" + key + "' is not valid for runs; use one of artifact_uri, end_time, run_id, run_name, start_time, status, user_id, or metrics.<key>, params.<key> or tags.<key>", t.pos);
    }
    return [entity, ATTRIBUTES[key]];
  };
  Parser.prototype.comparator = function () {
    var t = this.advance();
    if (t.kind === "comparator") {
      if (t.text === "<>" || t.text === "==") {
        throw new FilterError("comparator '" + t.text + "' is not supported; use '" + (t.text === "<>" ? "!=" : "=") + "'", t.pos);
      }
      return t.text;
    }
    if (t.kind === "keyword" && (t.value === "LIKE" || t.value === "ILIKE" || t.value === "IN")) return t.value;
    if (t.kind === "keyword" && t.value === "NOT") { this.expect("IN", "NOT"); return "NOT IN"; }
    if (t.kind === "keyword" && t.value === "IS") {
      var negated = this.atKeyword("NOT");
      if (negated) this.advance();
      this.expect("NULL", negated ? "IS NOT" : "IS");
      return negated ? "IS NOT NULL" : "IS NULL";
    }
    throw new FilterError("expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL) after the field, got " + this.show(t), t.pos);
  };
  Parser.prototype.expect = function (word, after) {
    var t = this.advance();
    if (!(t.kind === "keyword" && t.value === word)) throw new FilterError("expected " + word + " after " + after + ", got " + this.show(t), t.pos);
  };
  Parser.prototype.comparison = function () {
    var fieldToken = this.advance();
    var field = this.field(fieldToken);
    var rule = field[0] === "attribute" ? ATTRIBUTE_RULES[field[1]] : RULES[field[0]];
    var compToken = this.peek();
    var comparator = this.comparator();
    var subject = field[0] === "attribute" ? "attribute '" + field[1] + "'" : field[0] + "s";
    if (rule.comparators.indexOf(comparator) < 0) {
      throw new FilterError("comparator '" + comparator + "' is not allowed for " + subject + "; use one of " + rule.comparators.join(", "), compToken.pos);
    }
    var value = null;
    if (comparator === "IN" || comparator === "NOT IN") value = this.list(comparator);
    else if (comparator !== "IS NULL" && comparator !== "IS NOT NULL") {
      var t = this.advance();
      if (rule.kind === "number" && t.kind === "number") value = t.value;
      else if (rule.kind === "string" && t.kind === "string") value = t.value;
      else {
        var example = rule.kind === "number" ? "a number such as 0.5" : "a quoted string such as 'x'";
        throw new FilterError("expected " + example + " for " + subject + ", got " + this.show(t), t.pos);
      }
    }
    return { op: "cmp", entity: field[0], key: field[1], comparator: comparator, value: value };
  };
  Parser.prototype.list = function (comparator) {
    var open = this.advance();
    if (open.kind !== "lparen") throw new FilterError("expected '(' after " + comparator + ", as in " + comparator + " ('a', 'b'), got " + this.show(open), open.pos);
    var values = [this.item()];
    while (this.peek().kind === "comma") {
      this.advance();
      if (this.peek().kind === "rparen") break;
      values.push(this.item());
    }
    var close = this.advance();
    if (close.kind !== "rparen") throw new FilterError("expected ',' or ')' in the list, got " + this.show(close), close.pos);
    return values;
  };
  Parser.prototype.item = function () {
    var t = this.advance();
    if (t.kind !== "string") throw new FilterError("expected a quoted string in the list, got " + this.show(t), t.pos);
    return t.value;
  };

  function likePattern(pattern, ignoreCase) {
    var parts = [];
    Array.from(pattern).forEach(function (ch) {
      if (ch === "%") { if (parts[parts.length - 1] !== ".*") parts.push(".*"); }
      else if (ch === "_") parts.push(".");
      else parts.push(ch.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&"));
    });
    return new RegExp("^(?:" + parts.join("") + ")$", "su" + (ignoreCase ? "i" : ""));
  }

  function test(comparator, value) {
    switch (comparator) {
      case "=": return function (a) { return a === value; };
      case "!=": return function (a) { return a !== value; };
      case "<": return function (a) { return a < value; };
      case "<=": return function (a) { return a <= value; };
      case ">": return function (a) { return a > value; };
      case ">=": return function (a) { return a >= value; };
      case "LIKE": case "ILIKE":
        var re = likePattern(value, comparator === "ILIKE");
        return function (a) { return re.test(a); };
      case "IN": return function (a) { return value.indexOf(a) >= 0; };
      case "NOT IN": return function (a) { return value.indexOf(a) < 0; };
    }
    throw new Error("unknown comparator " + comparator);
  }

  function compileNode(node) {
    if (node.op === "and" || node.op === "or") {
      var parts = node.items.map(compileNode);
      if (node.op === "and") return function (get) { return parts.every(function (p) { return p(get); }); };
      return function (get) { return parts.some(function (p) { return p(get); }); };
    }
    var entity = node.entity, key = node.key;
    if (node.comparator === "IS NULL") return function (get) { return get(entity, key) === undefined; };
    if (node.comparator === "IS NOT NULL") return function (get) { return get(entity, key) !== undefined; };
    var check = test(node.comparator, node.value);
    return function (get) {
      var actual = get(entity, key);
      return actual !== undefined && check(actual);
    };
  }

  function compile(text) {
    if (!text || !text.trim()) return function () { return true; };
    return compileNode(new Parser(text).filter());
  }

  window.runreportFilter = { compile: compile, tokenize: tokenize, FilterError: FilterError };
})();
