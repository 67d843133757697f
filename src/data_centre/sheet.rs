//! Spreadsheets in and out: rows of text read from CSV or XLSX as a stream
//! (an XLSX's cells are read as they come, never the whole sheet at once),
//! and result files written the same two ways (XLSX in `rust_xlsxwriter`'s
//! constant-memory mode, rows flushed to a temporary file as written).
//! Everything here blocks: run it on a blocking thread.

use std::io::{BufReader, Read, Seek, SeekFrom};

use calamine::{DataRef, DataType, Reader, Xlsx};

use crate::error::{AppError, AppResult, Msg};

const UNREADABLE: Msg = Msg::new(
    "IMPORT_FILE_UNREADABLE",
    "无法读取文件，请使用模板的 .xlsx 或 .csv 格式",
    "The file cannot be read: use the template's .xlsx or .csv format",
);

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[graphql(name = "SheetFormat")]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// An XLSX is a ZIP archive; anything else is read as UTF-8 CSV.
    pub fn sniff(file: &mut std::fs::File) -> AppResult<Format> {
        let mut head = [0u8; 4];
        let n = file.read(&mut head).map_err(AppError::internal)?;
        file.seek(SeekFrom::Start(0)).map_err(AppError::internal)?;
        Ok(if n == 4 && head == *b"PK\x03\x04" { Format::Xlsx } else { Format::Csv })
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A cell as the text a person typed: whole numbers without ".0" (phone
/// numbers are often stored as numbers), dates as `YYYY-MM-DD HH:MM:SS`.
fn cell_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(_) | DataRef::DateTimeIso(_) => {
            v.as_datetime().map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
        }
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// Reads every row of the file's first sheet in order, handing each (as
/// cell texts, empty rows included) to `row` with the part of the file read
/// so far (0–1: bytes for CSV, rows of the sheet's recorded dimension for
/// XLSX); `row` returning `false` stops.
pub fn each_row(file: std::fs::File, format: Format, mut row: impl FnMut(Vec<String>, f64) -> bool) -> AppResult<()> {
    let bad = || AppError::bad_input("fileId", UNREADABLE);
    match format {
        Format::Csv => {
            let size = file.metadata().map_err(AppError::internal)?.len().max(1) as f64;
            let mut reader = BufReader::new(file);
            // Spreadsheet programs write a BOM before UTF-8 CSV.
            let mut bom = [0u8; 3];
            let n = reader.read(&mut bom).map_err(AppError::internal)?;
            if !(n == 3 && bom == *b"\xEF\xBB\xBF") {
                reader.seek(SeekFrom::Start(0)).map_err(AppError::internal)?;
            }
            let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
            let mut record = csv::StringRecord::new();
            loop {
                match csv.read_record(&mut record) {
                    Ok(false) => return Ok(()),
                    Ok(true) => {
                        let read = record.position().map_or(0.0, |p| p.byte() as f64 / size);
                        if !row(record.iter().map(|c| c.trim().to_string()).collect(), read.min(1.0)) {
                            return Ok(());
                        }
                    }
                    Err(_) => return Err(bad()),
                }
            }
        }
        Format::Xlsx => {
            let mut book: Xlsx<_> = Xlsx::new(BufReader::new(file)).map_err(|_| bad())?;
            let sheet = book.sheet_names().first().cloned().ok_or_else(bad)?;
            let mut cells = book.worksheet_cells_reader(&sheet).map_err(|_| bad())?;
            let rows = (cells.dimensions().end.0 + 1).max(1) as f64;
            let (mut at, mut current): (u32, Vec<String>) = (0, Vec::new());
            while let Some(cell) = cells.next_cell().map_err(|_| bad())? {
                let (r, c) = cell.get_position();
                while at < r {
                    if !row(std::mem::take(&mut current), (f64::from(at) / rows).min(1.0)) {
                        return Ok(());
                    }
                    at += 1;
                }
                let c = c as usize;
                if current.len() <= c {
                    current.resize(c + 1, String::new());
                }
                current[c] = cell_text(cell.get_value());
            }
            if !current.is_empty() {
                row(current, 1.0);
            }
            Ok(())
        }
    }
}

/// A result file being written row by row to a temporary file.
pub enum Writer {
    Csv(Box<csv::Writer<std::fs::File>>, tempfile::TempPath),
    Xlsx(Box<rust_xlsxwriter::Workbook>, u32, tempfile::TempPath),
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(anyhow::anyhow!("xlsx: {e}"))
}

impl Writer {
    pub fn new(format: Format) -> AppResult<Writer> {
        let temp = tempfile::NamedTempFile::new().map_err(AppError::internal)?;
        match format {
            Format::Csv => {
                let (mut file, path) = temp.into_parts();
                // A BOM, so spreadsheet programs read the Chinese correctly.
                std::io::Write::write_all(&mut file, b"\xEF\xBB\xBF").map_err(AppError::internal)?;
                Ok(Writer::Csv(Box::new(csv::WriterBuilder::new().flexible(true).from_writer(file)), path))
            }
            Format::Xlsx => {
                let mut book = rust_xlsxwriter::Workbook::new();
                book.add_worksheet_with_constant_memory().map_err(xlsx_err)?;
                Ok(Writer::Xlsx(Box::new(book), 0, temp.into_temp_path()))
            }
        }
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> AppResult<()> {
        match self {
            Writer::Csv(w, _) => {
                w.write_record(cells.iter().map(|c| c.as_ref())).map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))
            }
            Writer::Xlsx(book, at, _) => {
                let sheet = book.worksheet_from_index(0).map_err(xlsx_err)?;
                for (i, c) in cells.iter().enumerate() {
                    let c = c.as_ref();
                    if !c.is_empty() {
                        sheet.write_string(*at, i as u16, c).map_err(xlsx_err)?;
                    }
                }
                *at += 1;
                Ok(())
            }
        }
    }

    /// Closes the file and hands back where it is (removed when dropped).
    pub fn finish(self) -> AppResult<tempfile::TempPath> {
        match self {
            Writer::Csv(mut w, path) => {
                w.flush().map_err(AppError::internal)?;
                Ok(path)
            }
            Writer::Xlsx(mut book, _, path) => {
                book.save(&path).map_err(xlsx_err)?;
                Ok(path)
            }
        }
    }
}
