//! Polars data types to the language's types and back.

use ::polars::prelude::{DataType, Schema as PolarsSchema, TimeUnit};

use crate::plan::schema::Schema;
use crate::plan::types::Type;

/// The language type of a Polars column, or `None` for types the language
/// cannot work with (lists, structs, binary).
pub fn to_type(dtype: &DataType) -> Option<Type> {
    Some(match dtype {
        DataType::Boolean => Type::Bool,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Type::Int,
        DataType::Float32 | DataType::Float64 => Type::Float,
        DataType::String => Type::String,
        DataType::Date => Type::Date,
        DataType::Datetime(_, _) => Type::Datetime,
        DataType::Duration(_) => Type::Duration,
        DataType::Null => Type::Null,
        _ => return None,
    })
}

/// The Polars type a value of `ty` is computed in.
pub fn to_dtype(ty: Type) -> DataType {
    match ty {
        Type::Int => DataType::Int64,
        Type::Float => DataType::Float64,
        Type::String => DataType::String,
        Type::Bool => DataType::Boolean,
        Type::Date => DataType::Date,
        Type::Datetime => DataType::Datetime(TimeUnit::Microseconds, None),
        Type::Duration => DataType::Duration(TimeUnit::Microseconds),
        Type::Null => DataType::Null,
    }
}

/// The language schema of a Polars schema; an error names the first column
/// whose type the language cannot handle.
pub fn to_schema(schema: &PolarsSchema) -> Result<Schema, String> {
    let mut columns = Vec::with_capacity(schema.len());
    for (name, dtype) in schema.iter() {
        match to_type(dtype) {
            Some(ty) => columns.push((name.to_string(), ty)),
            None => {
                return Err(format!(
                    "column `{name}` has type {dtype}, which infraql cannot query"
                ));
            }
        }
    }
    Ok(Schema::new(columns))
}
