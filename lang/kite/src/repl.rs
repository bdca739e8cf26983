//! The interactive loop: each line (or block, until braces balance) runs on one persistent
//! VM; a bare expression prints its value.

use std::io::{BufRead, Write};

use crate::front::ast::StmtKind;
use crate::runtime::Runtime;
use crate::vm::interp::{Exit, Vm};
use crate::{KiteError, vm};

/// Read lines from `input` until end of input, printing results and errors to `out`.
pub fn repl(input: &mut dyn BufRead, out: &mut dyn Write) -> std::io::Result<()> {
    let mut vm = Vm::new(Runtime::new(Vec::new(), false));
    let mut globals: Vec<String> = Vec::new();
    let mut pending = String::new();
    let mut hooks = wb_machine::Hooks::new();
    write!(out, "kite> ")?;
    out.flush()?;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            return Ok(());
        }
        pending.push_str(&line);
        let depth: i64 = pending
            .chars()
            .map(|c| match c {
                '{' | '(' | '[' => 1,
                '}' | ')' | ']' => -1,
                _ => 0,
            })
            .sum();
        if depth > 0 {
            write!(out, "....> ")?;
            out.flush()?;
            continue;
        }
        let source = std::mem::take(&mut pending);
        let trimmed = source.trim();
        if !trimmed.is_empty() {
            // A bare expression without ';' is printed.
            let text = if trimmed.ends_with(';') || trimmed.ends_with('}') {
                trimmed.to_string()
            } else {
                format!("{trimmed};")
            };
            eval_line(&mut vm, &mut globals, &mut hooks, &text, out)?;
        }
        write!(out, "kite> ")?;
        out.flush()?;
    }
}

fn eval_line(
    vm: &mut Vm,
    globals: &mut Vec<String>,
    hooks: &mut wb_machine::Hooks,
    source: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let (mut program, mut diags) = crate::front::parser::parse(source);
    if diags.is_empty() {
        show_bare_expression(&mut program);
    }
    let mut names = globals.clone();
    diags.extend(crate::front::resolver::resolve(
        &mut program,
        &mut names,
        &crate::runtime::builtins::names(),
    ));
    if !diags.is_empty() {
        diags.sort_by_key(|d| d.span.start);
        return writeln!(out, "{}", KiteError::Compile(diags).short(source));
    }
    let first = vm.protos.len();
    let compiled = match vm::compiler::compile(&program, &mut vm.rt.heap, first) {
        Ok(c) => c,
        Err(d) => return writeln!(out, "{}", KiteError::Compile(d).short(source)),
    };
    *globals = names;
    vm.add_protos(&compiled.protos);
    vm.start(first as u32, globals.len());
    match vm.execute::<false, false>(u64::MAX, hooks, out) {
        Exit::Error(e) => writeln!(out, "{}", KiteError::Runtime(e).short(source)),
        _ => Ok(()),
    }
}

/// A lone expression statement (not an assignment) becomes
/// `{ let it = <expr>; if it != nil { print(it); } }`, before resolution.
fn show_bare_expression(program: &mut crate::front::ast::Program) {
    use crate::front::ast::{BinOp, Binding, Expr, ExprKind, Stmt};
    let [stmt] = program.main.body.as_mut_slice() else {
        return;
    };
    let StmtKind::Expr(e) = &stmt.kind else {
        return;
    };
    if matches!(e.kind, ExprKind::Assign(..)) {
        return;
    }
    let span = e.span;
    let var = |name: &str| Expr {
        kind: ExprKind::Var(Binding::new(name.into(), span)),
        span,
    };
    let nil = Expr {
        kind: ExprKind::Nil,
        span,
    };
    let print = Expr {
        kind: ExprKind::Call(Box::new(var("print")), vec![var("it")]),
        span,
    };
    let cond = Expr {
        kind: ExprKind::Binary(BinOp::Ne, Box::new(var("it")), Box::new(nil)),
        span,
    };
    let body = vec![
        Stmt {
            kind: StmtKind::Let(Binding::new("it".into(), span), Some(e.clone())),
            span,
        },
        Stmt {
            kind: StmtKind::If(
                cond,
                vec![Stmt {
                    kind: StmtKind::Expr(print),
                    span,
                }],
                None,
            ),
            span,
        },
    ];
    stmt.kind = StmtKind::Block(body);
}
