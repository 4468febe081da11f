fn main() {
    println!("pitlane: platform not assembled yet");
}
