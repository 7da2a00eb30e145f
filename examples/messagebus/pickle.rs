//! Python's pickle format for the plain values a message's data can hold, so that the SQLite
//! storage keeps a message's data as Python's storage does (`pickle.dumps(data,
//! HIGHEST_PROTOCOL)` in `Message.msgdata`) and one `messages.sqlite` serves either server.
//!
//! [`dumps`] writes protocol 5 (unframed, as pickle allows): `None`, bools, ints of any size,
//! floats, complex numbers, strings, bytes, tuples, lists, dicts and sets. [`loads`] reads what
//! Python writes for those (any protocol from 2 on, memo references included); anything else
//! (class instances, `datetime`s: every opcode that would import or build a class) is refused
//! with an error, never run. The input bounds the work: a reference shared many times is
//! expanded at most [`EXPANSION`] times the input's length.
// Not every program uses every item.
#![allow(dead_code)]

use num_bigint::BigInt;
use pyro::Value;
use pyro::value::Dict;

/// How many values [`loads`] may build per byte of input (shared references are copied).
pub const EXPANSION: usize = 64;

/// How deeply [`loads`] nests containers (Python's default recursion limit is about as deep).
pub const MAX_DEPTH: usize = 1000;

/// Why a pickle cannot be read or a value cannot be written.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PickleError {
    /// The input ends inside an opcode.
    #[error("pickle data was truncated")]
    Truncated,
    /// An opcode this reader does not run (one that imports or builds an object, or an old
    /// text opcode).
    #[error("unsupported pickle opcode {0:#04x} at offset {1}")]
    Unsupported(u8, usize),
    /// An opcode found the stack or the memo not as it needs them.
    #[error("malformed pickle at offset {at}: {reason}")]
    Malformed {
        /// The opcode's offset.
        at: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// Shared references would expand beyond the bound.
    #[error("pickle expands beyond {0} values")]
    TooLarge(usize),
    /// A value pickle cannot hold as a plain value.
    #[error("cannot pickle a {0}")]
    Unpicklable(&'static str),
}

/// `value` pickled with protocol 5, as Python's `pickle.dumps` would (Python reads it back).
pub fn dumps(value: &Value) -> Result<Vec<u8>, PickleError> {
    let mut out = vec![0x80, 5];
    write(&mut out, value)?;
    out.push(b'.');
    Ok(out)
}

fn write_len(out: &mut Vec<u8>, short: u8, long: u8, huge: u8, data: &[u8]) {
    match (u8::try_from(data.len()), u32::try_from(data.len())) {
        (Ok(n), _) => out.extend([short, n]),
        (_, Ok(n)) => {
            out.push(long);
            out.extend(n.to_le_bytes());
        }
        _ => {
            out.push(huge);
            out.extend((data.len() as u64).to_le_bytes());
        }
    }
    out.extend(data);
}

fn write_long(out: &mut Vec<u8>, n: &BigInt) {
    let bytes = n.to_signed_bytes_le();
    match u8::try_from(bytes.len()) {
        Ok(len) => out.extend([0x8a, len]),
        Err(_) => {
            out.push(0x8b);
            out.extend(u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
        }
    }
    out.extend(bytes);
}

fn write_items(out: &mut Vec<u8>, items: &[Value]) -> Result<(), PickleError> {
    items.iter().try_for_each(|item| write(out, item))
}

fn write(out: &mut Vec<u8>, value: &Value) -> Result<(), PickleError> {
    match value {
        Value::None => out.push(b'N'),
        Value::Bool(true) => out.push(0x88),
        Value::Bool(false) => out.push(0x89),
        Value::Int(n) => match (u8::try_from(*n), u16::try_from(*n), i32::try_from(*n)) {
            (Ok(b), _, _) => out.extend([b'K', b]),
            (_, Ok(w), _) => {
                out.push(b'M');
                out.extend(w.to_le_bytes());
            }
            (_, _, Ok(i)) => {
                out.push(b'J');
                out.extend(i.to_le_bytes());
            }
            _ => write_long(out, &BigInt::from(*n)),
        },
        Value::BigInt(n) => write_long(out, n),
        Value::Float(x) => {
            out.push(b'G');
            out.extend(x.to_be_bytes());
        }
        Value::Complex { re, im } => {
            // builtins.complex(re, im), as Python pickles a complex number.
            out.extend(b"cbuiltins\ncomplex\n");
            for part in [re, im] {
                out.push(b'G');
                out.extend(part.to_be_bytes());
            }
            out.extend([0x86, b'R']);
        }
        Value::Str(text) => write_len(out, 0x8c, b'X', 0x8d, text.as_bytes()),
        Value::Bytes(bytes) => write_len(out, b'C', b'B', 0x8e, bytes),
        Value::Tuple(items) => match items.len() {
            0 => out.push(b')'),
            n @ 1..=3 => {
                write_items(out, items)?;
                out.push([0x85, 0x86, 0x87][n - 1]);
            }
            _ => {
                out.push(b'(');
                write_items(out, items)?;
                out.push(b't');
            }
        },
        Value::List(items) => {
            out.push(b']');
            if !items.is_empty() {
                out.push(b'(');
                write_items(out, items)?;
                out.push(b'e');
            }
        }
        Value::Set(items) => {
            out.push(0x8f);
            if !items.is_empty() {
                out.push(b'(');
                write_items(out, items)?;
                out.push(0x90);
            }
        }
        Value::Dict(dict) => {
            out.push(b'}');
            if !dict.is_empty() {
                out.push(b'(');
                for (key, item) in dict.iter() {
                    write(out, key)?;
                    write(out, item)?;
                }
                out.push(b'u');
            }
        }
        Value::DateTime(_) => return Err(PickleError::Unpicklable("datetime")),
        Value::Date(_) => return Err(PickleError::Unpicklable("date")),
    }
    Ok(())
}

/// A value under construction: containers refer to other nodes, so that a memo reference
/// shares the container that is still being filled, as in Python.
enum Node {
    Leaf(Value),
    Mark,
    Tuple(Vec<usize>),
    List(Vec<usize>),
    Set(Vec<usize>),
    Dict(Vec<(usize, usize)>),
    /// `builtins.complex`, the one global this reader knows.
    Complex,
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
    /// The offset of the opcode being run.
    op_at: usize,
    nodes: Vec<Node>,
    stack: Vec<usize>,
    memo: Vec<Option<usize>>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.data.len()).ok_or(PickleError::Truncated)?;
        let bytes = &self.data[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PickleError> {
        let bytes = self.take(N)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    fn byte(&mut self) -> Result<u8, PickleError> {
        Ok(self.array::<1>()?[0])
    }

    fn len4(&mut self) -> Result<usize, PickleError> {
        Ok(usize::try_from(u32::from_le_bytes(self.array()?)).unwrap_or(usize::MAX))
    }

    fn len8(&mut self) -> Result<usize, PickleError> {
        Ok(usize::try_from(u64::from_le_bytes(self.array()?)).unwrap_or(usize::MAX))
    }

    fn malformed(&self, reason: &'static str) -> PickleError {
        PickleError::Malformed { at: self.op_at, reason }
    }

    fn push(&mut self, node: Node) {
        self.nodes.push(node);
        self.stack.push(self.nodes.len() - 1);
    }

    fn leaf(&mut self, value: Value) {
        self.push(Node::Leaf(value));
    }

    fn pop(&mut self) -> Result<usize, PickleError> {
        let top = self.stack.pop().ok_or_else(|| self.malformed("stack underflow"))?;
        if matches!(self.nodes[top], Node::Mark) {
            return Err(self.malformed("unexpected mark"));
        }
        Ok(top)
    }

    /// The nodes above the topmost mark, which is removed.
    fn pop_mark(&mut self) -> Result<Vec<usize>, PickleError> {
        let mark = self
            .stack
            .iter()
            .rposition(|&n| matches!(self.nodes[n], Node::Mark))
            .ok_or_else(|| self.malformed("no mark"))?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items)
    }

    fn text(&mut self, n: usize) -> Result<(), PickleError> {
        let bytes = self.take(n)?;
        let text = std::str::from_utf8(bytes).map_err(|_| self.malformed("invalid UTF-8"))?;
        self.leaf(Value::from(text));
        Ok(())
    }

    fn bytes(&mut self, n: usize) -> Result<(), PickleError> {
        let bytes = self.take(n)?.to_vec();
        self.leaf(Value::Bytes(bytes));
        Ok(())
    }

    fn long(&mut self, n: usize) -> Result<(), PickleError> {
        let bytes = self.take(n)?;
        self.leaf(Value::int(BigInt::from_signed_bytes_le(bytes)));
        Ok(())
    }

    fn tuple(&mut self, n: usize) -> Result<(), PickleError> {
        let at = self.stack.len().checked_sub(n).ok_or_else(|| self.malformed("stack underflow"))?;
        let items = self.stack.split_off(at);
        if items.iter().any(|&i| matches!(self.nodes[i], Node::Mark)) {
            return Err(self.malformed("unexpected mark"));
        }
        self.push(Node::Tuple(items));
        Ok(())
    }

    /// Adds `items` to the container on top of the stack.
    fn extend(&mut self, items: Vec<usize>) -> Result<(), PickleError> {
        let top = *self.stack.last().ok_or_else(|| self.malformed("stack underflow"))?;
        match &mut self.nodes[top] {
            Node::List(list) | Node::Set(list) => list.extend(items),
            Node::Dict(dict) => {
                if !items.len().is_multiple_of(2) {
                    return Err(self.malformed("odd number of dict items"));
                }
                dict.extend(items.chunks_exact(2).map(|pair| (pair[0], pair[1])));
            }
            _ => return Err(self.malformed("not a container")),
        }
        Ok(())
    }

    fn put(&mut self, index: usize) -> Result<(), PickleError> {
        let top = *self.stack.last().ok_or_else(|| self.malformed("stack underflow"))?;
        // The memo never has more entries than opcodes read.
        if index > self.data.len() {
            return Err(self.malformed("memo index out of range"));
        }
        if self.memo.len() <= index {
            self.memo.resize(index + 1, None);
        }
        self.memo[index] = Some(top);
        Ok(())
    }

    fn get(&mut self, index: usize) -> Result<(), PickleError> {
        let node = self.memo.get(index).copied().flatten().ok_or_else(|| self.malformed("unknown memo index"))?;
        self.stack.push(node);
        Ok(())
    }

    /// Runs one opcode; `true` at `STOP`.
    fn step(&mut self) -> Result<bool, PickleError> {
        self.op_at = self.at;
        let op = self.byte()?;
        match op {
            0x80 => {
                self.byte()?; // PROTO
            }
            0x95 => {
                self.len8()?; // FRAME: a length hint only
            }
            b'.' => return Ok(true),
            b'(' => self.push(Node::Mark),
            b'N' => self.leaf(Value::None),
            0x88 => self.leaf(Value::Bool(true)),
            0x89 => self.leaf(Value::Bool(false)),
            b'J' => {
                let n = i32::from_le_bytes(self.array()?);
                self.leaf(Value::Int(i64::from(n)));
            }
            b'K' => {
                let n = self.byte()?;
                self.leaf(Value::Int(i64::from(n)));
            }
            b'M' => {
                let n = u16::from_le_bytes(self.array()?);
                self.leaf(Value::Int(i64::from(n)));
            }
            0x8a => {
                let n = usize::from(self.byte()?);
                self.long(n)?;
            }
            0x8b => {
                let n = self.len4()?;
                self.long(n)?;
            }
            b'G' => {
                let x = f64::from_be_bytes(self.array()?);
                self.leaf(Value::Float(x));
            }
            0x8c => {
                let n = usize::from(self.byte()?);
                self.text(n)?;
            }
            b'X' => {
                let n = self.len4()?;
                self.text(n)?;
            }
            0x8d => {
                let n = self.len8()?;
                self.text(n)?;
            }
            b'C' => {
                let n = usize::from(self.byte()?);
                self.bytes(n)?;
            }
            b'B' => {
                let n = self.len4()?;
                self.bytes(n)?;
            }
            0x8e => {
                let n = self.len8()?;
                self.bytes(n)?;
            }
            b')' => self.push(Node::Tuple(Vec::new())),
            0x85 => self.tuple(1)?,
            0x86 => self.tuple(2)?,
            0x87 => self.tuple(3)?,
            b't' => {
                let items = self.pop_mark()?;
                self.push(Node::Tuple(items));
            }
            b']' => self.push(Node::List(Vec::new())),
            b'l' => {
                let items = self.pop_mark()?;
                self.push(Node::List(items));
            }
            b'a' => {
                let item = self.pop()?;
                self.extend(vec![item])?;
            }
            b'e' | b'u' | 0x90 => {
                let items = self.pop_mark()?;
                self.extend(items)?;
            }
            b'}' => self.push(Node::Dict(Vec::new())),
            b'd' => {
                let items = self.pop_mark()?;
                self.push(Node::Dict(Vec::new()));
                self.extend(items)?;
            }
            b's' => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.extend(vec![key, value])?;
            }
            0x8f => self.push(Node::Set(Vec::new())),
            0x91 => {
                let items = self.pop_mark()?;
                self.push(Node::Set(items));
            }
            0x94 => self.put(self.memo.len())?,
            b'q' => {
                let index = usize::from(self.byte()?);
                self.put(index)?;
            }
            b'r' => {
                let index = self.len4()?;
                self.put(index)?;
            }
            b'h' => {
                let index = usize::from(self.byte()?);
                self.get(index)?;
            }
            b'j' => {
                let index = self.len4()?;
                self.get(index)?;
            }
            b'c' => {
                // GLOBAL: only builtins.complex is known.
                let rest = &self.data[self.at..];
                let name = b"builtins\ncomplex\n";
                if !rest.starts_with(name) {
                    return Err(PickleError::Unsupported(op, self.op_at));
                }
                self.take(name.len())?;
                self.push(Node::Complex);
            }
            0x93 => {
                // STACK_GLOBAL: only builtins.complex is known.
                let name = self.pop()?;
                let module = self.pop()?;
                match (&self.nodes[module], &self.nodes[name]) {
                    (Node::Leaf(Value::Str(m)), Node::Leaf(Value::Str(n))) if m == "builtins" && n == "complex" => {
                        self.push(Node::Complex);
                    }
                    _ => return Err(PickleError::Unsupported(op, self.op_at)),
                }
            }
            b'R' => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let parts = match (&self.nodes[callable], &self.nodes[args]) {
                    (Node::Complex, Node::Tuple(parts)) => parts.clone(),
                    _ => return Err(PickleError::Unsupported(op, self.op_at)),
                };
                let number = |i: usize| match parts.get(i).map(|&n| &self.nodes[n]) {
                    None => Some(0.0),
                    Some(Node::Leaf(value)) => value.as_f64(),
                    Some(_) => None,
                };
                match (number(0), number(1), parts.len() <= 2) {
                    (Some(re), Some(im), true) => self.leaf(Value::Complex { re, im }),
                    _ => return Err(self.malformed("complex() takes two numbers")),
                }
            }
            _ => return Err(PickleError::Unsupported(op, self.op_at)),
        }
        Ok(false)
    }

    /// The finished value of `node`, within `budget` values; a container that contains
    /// itself is malformed (a plain value cannot).
    fn build(&self, node: usize, budget: &mut usize, open: &mut Vec<usize>) -> Result<Value, PickleError> {
        *budget = budget.checked_sub(1).ok_or(PickleError::TooLarge(self.data.len() * EXPANSION))?;
        if open.len() >= MAX_DEPTH {
            return Err(PickleError::Malformed { at: 0, reason: "containers nested too deeply" });
        }
        if open.contains(&node) {
            return Err(PickleError::Malformed { at: 0, reason: "a container contains itself" });
        }
        open.push(node);
        let mut all = |items: &[usize], budget: &mut usize| -> Result<Vec<Value>, PickleError> {
            items.iter().map(|&i| self.build(i, budget, open)).collect()
        };
        let value = match &self.nodes[node] {
            Node::Leaf(value) => value.clone(),
            Node::Tuple(items) => Value::Tuple(all(items, budget)?),
            Node::List(items) => Value::List(all(items, budget)?),
            Node::Set(items) => Value::Set(all(items, budget)?),
            Node::Dict(pairs) => {
                let flat: Vec<usize> = pairs.iter().flat_map(|&(k, v)| [k, v]).collect();
                let values = all(&flat, budget)?;
                let mut dict = Dict::new();
                let mut values = values.into_iter();
                while let (Some(key), Some(value)) = (values.next(), values.next()) {
                    dict.insert(key, value);
                }
                Value::Dict(dict)
            }
            Node::Mark | Node::Complex => {
                return Err(PickleError::Malformed { at: 0, reason: "not a value" });
            }
        };
        open.pop();
        Ok(value)
    }
}

/// The value Python's `pickle.loads(data)` gives, for plain values (see the module docs).
pub fn loads(data: &[u8]) -> Result<Value, PickleError> {
    let mut reader = Reader { data, at: 0, op_at: 0, nodes: Vec::new(), stack: Vec::new(), memo: Vec::new() };
    while !reader.step()? {}
    let top = reader.pop()?;
    if !reader.stack.is_empty() {
        return Err(reader.malformed("values left on the stack"));
    }
    let mut budget = data.len().saturating_mul(EXPANSION);
    reader.build(top, &mut budget, &mut Vec::new())
}
