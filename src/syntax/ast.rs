//! The syntax tree of a script, exactly as written.
//!
//! Every node carries the byte span of its text so later stages can point at
//! it. The tree knows nothing of tables, columns or types: `count` here is
//! just a name, and whether `requests_30d` exists is decided by `plan`.

use crate::diagnostic::Span;

/// A whole script: statements in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    /// `let name = pipeline`
    Let { name: Ident, pipeline: Pipeline },
    /// A pipeline whose result is shown (or exported).
    Query(Pipeline),
}

/// A name as written: a column, table, function or binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `source | operator | operator …`
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub source: Source,
    pub operators: Vec<Operator>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub kind: SourceKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// A table or a `let` name.
    Named(Ident),
    /// `from "path"`
    File(StringLit),
    /// `( pipeline )`
    Nested(Box<Pipeline>),
}

/// A string literal with the span of its quotes.
#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    /// The whole operator, keyword to last argument.
    pub span: Span,
    /// Just the keyword.
    pub keyword: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    Where(Expr),
    Select(Vec<Item>),
    Derive(Vec<Item>),
    Drop(Vec<Ident>),
    /// `rename new = old, …`
    Rename(Vec<(Ident, Ident)>),
    Sort(Vec<SortKey>),
    Take(Count),
    Top {
        count: Count,
        keys: Vec<SortKey>,
    },
    Group {
        keys: Vec<Item>,
        aggregates: Vec<Item>,
    },
    Agg(Vec<Item>),
    Count,
    Distinct(Vec<Ident>),
    Join {
        kind: JoinKind,
        source: Source,
        on: Vec<JoinKey>,
    },
    Union(Source),
    /// `diff source on keys`: the rows added, removed or changed between
    /// the input (before) and `source` (after), one row per key.
    Diff {
        source: Source,
        on: Vec<JoinKey>,
    },
    /// `latest`: the rows of a history table's newest revision.
    Latest,
    /// `at N`: the rows of a history table's revision N.
    At(Count),
    Export(StringLit),
    /// `chart label, value`: draw the result instead of tabling it.
    Chart {
        label: Ident,
        value: Ident,
    },
}

impl OperatorKind {
    /// The keyword that introduces the operator.
    pub fn keyword(&self) -> &'static str {
        match self {
            OperatorKind::Where(_) => "where",
            OperatorKind::Select(_) => "select",
            OperatorKind::Derive(_) => "derive",
            OperatorKind::Drop(_) => "drop",
            OperatorKind::Rename(_) => "rename",
            OperatorKind::Sort(_) => "sort",
            OperatorKind::Take(_) => "take",
            OperatorKind::Top { .. } => "top",
            OperatorKind::Group { .. } => "group",
            OperatorKind::Agg(_) => "agg",
            OperatorKind::Count => "count",
            OperatorKind::Distinct(_) => "distinct",
            OperatorKind::Join { .. } => "join",
            OperatorKind::Union(_) => "union",
            OperatorKind::Diff { .. } => "diff",
            OperatorKind::Latest => "latest",
            OperatorKind::At(_) => "at",
            OperatorKind::Export(_) => "export",
            OperatorKind::Chart { .. } => "chart",
        }
    }
}

/// A row count written in an operator (`take 5`, `top 3 by …`), or the
/// revision number of `at N`.
#[derive(Debug, Clone, PartialEq)]
pub struct Count {
    pub value: u64,
    pub span: Span,
}

/// `[name =] expr`
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub name: Option<Ident>,
    pub expr: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// `None` when no direction was written.
    pub order: Option<Order>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Semi,
    Anti,
}

impl JoinKind {
    pub fn keyword(self) -> &'static str {
        match self {
            JoinKind::Inner => "inner",
            JoinKind::Left => "left",
            JoinKind::Semi => "semi",
            JoinKind::Anti => "anti",
        }
    }
}

/// `left_column == right_column`, or one name present on both sides.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinKey {
    pub left: Ident,
    pub right: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Column(String),
    Literal(Literal),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `name(args)`: a scalar function, an aggregate, or `if`.
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `expr [not] in [a, b, …]`
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `expr is [not] null`
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `call over ([by key, …])`: a window over partitions of the rows.
    Window {
        function: Box<Expr>,
        partition: Vec<Expr>,
    },
    /// `case when c then v … [else v] end`
    Case {
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
}

impl Expr {
    /// The expressions directly inside this one.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Column(_) | ExprKind::Literal(_) => Vec::new(),
            ExprKind::Unary(_, x) | ExprKind::IsNull { expr: x, .. } => vec![x],
            ExprKind::Binary(_, l, r) => vec![l, r],
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::In { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
            ExprKind::Window {
                function,
                partition,
            } => std::iter::once(&**function).chain(partition).collect(),
            ExprKind::Case {
                branches,
                otherwise,
            } => branches
                .iter()
                .flat_map(|(c, v)| [c, v])
                .chain(otherwise.as_deref())
                .collect(),
        }
    }

    /// Whether this expression names the column `name` anywhere.
    pub fn mentions(&self, name: &str) -> bool {
        matches!(&self.kind, ExprKind::Column(c) if c == name)
            || self.children().into_iter().any(|c| c.mentions(name))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    String(String),
    Bool(bool),
    Null,
    Date(chrono::NaiveDate),
    Datetime(chrono::NaiveDateTime),
    /// Microseconds.
    Duration(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Contains,
    StartsWith,
    EndsWith,
    Like,
    Matches,
    /// `a is distinct from b`: `!=` with null as a value of its own (null
    /// is distinct from 1, not from null); never null itself.
    IsDistinct,
    /// `a is not distinct from b`: null-safe `==`.
    IsNotDistinct,
}

impl BinaryOp {
    /// The operator as written in the language.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Contains => "contains",
            BinaryOp::StartsWith => "startswith",
            BinaryOp::EndsWith => "endswith",
            BinaryOp::Like => "like",
            BinaryOp::Matches => "matches",
            BinaryOp::IsDistinct => "is distinct from",
            BinaryOp::IsNotDistinct => "is not distinct from",
        }
    }

    /// Comparisons, string tests and `is [not] distinct from`: the
    /// operators that compare two values into a bool.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq
            | BinaryOp::Contains
            | BinaryOp::StartsWith
            | BinaryOp::EndsWith
            | BinaryOp::Like
            | BinaryOp::Matches
            | BinaryOp::IsDistinct
            | BinaryOp::IsNotDistinct => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 6,
        }
    }
}
