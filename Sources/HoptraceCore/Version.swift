public enum HoptraceVersion {
    public static let string = "0.1.0"
}
