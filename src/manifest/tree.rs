//! A YAML tree that remembers where every node came from, built from yaml-rust2's event
//! stream: serde_yaml loses positions once a value is deserialized, and every manifest
//! error must name file:line:column.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Line and column, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line (1-based).
    pub line: u32,
    /// Column (1-based).
    pub column: u32,
}

impl Pos {
    fn from_marker(m: Marker) -> Pos {
        Pos {
            line: m.line() as u32,
            column: m.col() as u32 + 1,
        }
    }
}

/// A located YAML node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What it holds.
    pub value: Value,
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar; `plain` is false for quoted and block scalars (so `"true"` stays a string).
    Scalar {
        /// Text.
        text: String,
        /// Unquoted.
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(Node, Node)>),
    /// An alias (`*name`): refused, manifests must be explicit.
    Alias,
}

impl Node {
    /// A plain scalar that YAML reads as null (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if text.is_empty() || text == "~" || text == "null")
    }

    /// The node's text when it is a scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A short name of the node's shape, for messages.
    pub fn shape(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } if self.is_null() => "nothing",
            Value::Scalar { .. } => "a value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Alias => "an alias",
        }
    }
}

/// A YAML syntax error, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

enum Frame {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
}

impl Builder {
    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, key)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::from_marker(mark);
        match ev {
            Event::Scalar(text, style, _, _) => self.push(Node {
                pos,
                value: Value::Scalar {
                    text,
                    plain: style == TScalarStyle::Plain,
                },
            }),
            Event::Alias(_) => self.push(Node {
                pos,
                value: Value::Alias,
            }),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq(pos, Vec::new())),
            Event::MappingStart(..) => self.stack.push(Frame::Map(pos, Vec::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(pos, items)) => Node {
                        pos,
                        value: Value::Seq(items),
                    },
                    Some(Frame::Map(pos, entries, _)) => Node {
                        pos,
                        value: Value::Map(entries),
                    },
                    None => return,
                };
                self.push(node);
            }
            _ => {}
        }
    }
}

/// Parses every document of a YAML stream into located trees.
pub fn parse(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, true).map_err(|e| {
        let pos = Pos::from_marker(*e.marker());
        match end_of_text(text, pos) {
            Some(end) => SyntaxError {
                pos: end,
                message: format!("{} (the file ends before it is closed)", e.info()),
            },
            None => SyntaxError {
                pos,
                message: e.info().to_string(),
            },
        }
    })?;
    Ok(b.docs)
}

/// The parser reports an error found at the end of the stream past the last line (line
/// 3 of a 2-line file): the true position is the end of the last line with text.
fn end_of_text(text: &str, pos: Pos) -> Option<Pos> {
    let lines: Vec<&str> = text.lines().collect();
    let past_end = pos.line as usize > lines.len()
        || (pos.line as usize == lines.len()
            && pos.column as usize > lines[lines.len() - 1].chars().count());
    if !past_end {
        return None;
    }
    let (i, last) = lines
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| !l.trim().is_empty())?;
    Some(Pos {
        line: i as u32 + 1,
        column: last.trim_end().chars().count() as u32 + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_point_at_values() {
        let docs = parse("kind: User\nemail: a@b.c\n---\nkind: Group\n").expect("parses");
        assert_eq!(docs.len(), 2);
        let Value::Map(entries) = &docs[0].value else {
            panic!("map")
        };
        assert_eq!(entries[1].1.pos, Pos { line: 2, column: 8 });
        assert_eq!(entries[1].0.pos, Pos { line: 2, column: 1 });
    }

    #[test]
    fn quoted_scalars_are_not_plain() {
        let docs = parse("a: \"true\"\n").expect("parses");
        let Value::Map(entries) = &docs[0].value else {
            panic!("map")
        };
        assert!(matches!(
            entries[0].1.value,
            Value::Scalar { plain: false, .. }
        ));
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse("a: [1, 2\nb: 3\n").expect_err("broken");
        assert!(e.pos.line >= 1);
    }

    #[test]
    fn an_error_at_the_end_of_the_stream_points_at_the_last_line() {
        let e = parse("kind: Account\nname: [x\n").expect_err("broken");
        assert_eq!(e.pos, Pos { line: 2, column: 9 });
        assert!(e.message.contains("ends before"), "{}", e.message);
    }
}
